"""The HTTP and WebSocket surface: REST, pages, lesson pages, headers, the Host and Origin guards, limits, the /ws
endpoint and its protocol class.
"""
