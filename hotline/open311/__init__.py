"""Open311 GeoReport v2 at /open311/v2/: discovery, services, service definitions, requests (post,
list, one) and tokens, each in XML and JSON, with the spec's error lists and HTTP codes."""
