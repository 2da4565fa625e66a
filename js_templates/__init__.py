"""The JavaScript (Jinja2) templates of the maintenance function, shipped as package data."""
