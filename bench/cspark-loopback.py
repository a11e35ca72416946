"""Runs the official Spark CLI (`cspark`, PyPI cspark[cli]) against the loopback sandbox.

The CLI is used unmodified except for one thing: its base-URL check accepts only https://*.coherent.global,
so `BaseUrl.of` is wrapped to build a loopback URL (http://127.0.0.1:PORT/TENANT) directly, the way the
SDK's own constructor allows. Everything else (profile, upload, polling, output) is the CLI's code.
Arguments are the CLI's, e.g. `cspark-loopback.py import run PACKAGE -d SRC=DST --if-present add_version`.
"""
import sys
from urllib.parse import urlparse

from cspark.sdk import BaseUrl

_checked_of = BaseUrl.of


def _of(*, url=None, tenant=None, env=None):
    parsed = urlparse(url or '')
    if parsed.scheme == 'http' and parsed.hostname == '127.0.0.1':
        path = parsed.path.strip('/')
        return BaseUrl(f'{parsed.scheme}://{parsed.netloc}', path or tenant)
    return _checked_of(url=url, tenant=tenant, env=env)


BaseUrl.of = staticmethod(_of)

from cspark.cli._main import main  # noqa: E402  (after the patch, as the CLI builds its URL on use)

sys.exit(main())
