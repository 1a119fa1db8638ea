"""Small shared tools every domain uses."""
