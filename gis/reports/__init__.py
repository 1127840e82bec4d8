"""Reports for the offices: the one writer of every Excel and CSV file (writers), the staff and money sheets (staff), the relocation sheets (relocation)."""
