"""Entry points: Prefect flows and the skillsub CLI."""
