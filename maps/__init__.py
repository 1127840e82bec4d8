"""Map builders: Folium pages, offline assets, PDF printouts (see the web and printout issues)."""
