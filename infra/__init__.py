"""Adapters and composition: settings, database, object store, SeaweedFS stack."""
