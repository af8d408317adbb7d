"""The composition of the whole back-office: the embedded and distributed runners and the admin command.

The only package that knows every service: it wires them together, as a deployment does.
"""
