"""Vocabulary and pure domain of skillsub: codes, cell parsing, row models, rules, money.

Nothing in this package imports Prefect, SQLAlchemy, boto3 or Great Expectations
(tests/unit/test_purity.py keeps it that way), so the policy logic tests in milliseconds.
"""
