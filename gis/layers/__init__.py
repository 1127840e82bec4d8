"""The vector layers: the GeoPackage (gpkg), validation, replacing a layer from a district file, the catalogue, styles for the web, print and QGIS, terrain, and the layers the product writes."""
