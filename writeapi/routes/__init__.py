"""The write API's routers, one module per resource."""
