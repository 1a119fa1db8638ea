"""WeCom (企业微信): the client, callback crypto and intake, sync and the fake corp."""
