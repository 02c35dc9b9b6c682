"""The web page of the service: ``index.html``, its script and style, and bundled third-party assets.

Nothing here holds data: the page asks for an API key and reads everything through the API.
"""
