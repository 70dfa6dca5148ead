"""The Typer layer: commands parse options, call the core and render. Nothing else imports Typer."""
