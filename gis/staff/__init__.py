"""Staff, their assessment and the money (密政发〔2022〕22号 attachments 3, 4 and 5)."""
