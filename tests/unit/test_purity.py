"""The pure domain imports no Prefect, SQLAlchemy, boto3 or Great Expectations."""

import subprocess
import sys


def test_schemas_import_none_of_the_adapters() -> None:
    code = (
        "import sys, pkgutil, importlib, schemas\n"
        "for m in pkgutil.iter_modules(schemas.__path__): importlib.import_module('schemas.' + m.name)\n"
        "bad = [n for n in ('prefect', 'sqlalchemy', 'boto3', 'botocore', 'great_expectations') if n in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"schemas pulled in {out}"
