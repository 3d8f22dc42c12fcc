"""Requests the server and the command line make to other hosts: pages to fetch, webhook deliveries."""
