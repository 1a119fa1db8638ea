"""Public channels (公域): accounts, materials and posts on the content platforms, their
figures from the creator centres' exports, the publishing calendar, and the fans and GMV each
post brought into the private domain."""
