"""Mountain relocation (密政办字〔2019〕39号): plans, subsidies, payments, calendar, site checks."""
