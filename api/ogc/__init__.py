"""OGC API – Features (Part 1 core/GeoJSON/OpenAPI, Part 2 CRS by reference, Part 3 CQL2 text filters).

The modules: ``crs`` (CRS URIs and axis order), ``params`` (query parameters, 400 on anything else),
``cql`` (CQL2 text through pygeofilter), ``sources`` (what each collection serves, scoped by the
caller's rights), ``routes`` (the endpoints) and ``docs`` (Swagger UI from the installed package).
"""
