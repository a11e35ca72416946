"""Round trip through the official Spark Python SDK (cspark) against a spark-promote sandbox.

Exports pricing/quote (all versions) from one tenant with `Client(...).impex.exp(...)`, downloads the
package, imports it into another tenant with `.impex.imp(...)` (services_existing add_version) and checks
the job's outputs. The SDK is used unmodified; its BaseUrl is built directly because its URL validator
accepts only *.coherent.global.

Usage: sdk_roundtrip.py ROOT SRC_TENANT DST_TENANT AUTH
  ROOT  the sandbox, e.g. http://127.0.0.1:8080
  AUTH  token | api_key | oauth; credentials come from SANDBOX_{SRC,DST}_{TOKEN,API_KEY,CLIENT_ID,CLIENT_SECRET}
Prints a JSON summary on stdout; exits non-zero on any failed check.
"""
import io
import json
import os
import sys

from cspark.sdk import BaseUrl, Client


def make_client(root: str, tenant: str, auth: str, prefix: str) -> Client:
    env = os.environ
    base = BaseUrl(root, tenant)
    if auth == 'token':
        return Client(base_url=base, token=env[f'{prefix}_TOKEN'], logger=False)
    if auth == 'api_key':
        return Client(base_url=base, api_key=env[f'{prefix}_API_KEY'], logger=False)
    if auth == 'oauth':
        creds = {'client_id': env[f'{prefix}_CLIENT_ID'], 'client_secret': env[f'{prefix}_CLIENT_SECRET']}
        return Client(base_url=base, oauth=creds, logger=False)
    raise SystemExit(f'unknown auth kind {auth!r}')


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f'check failed: {message}')


def main() -> None:
    root, src_tenant, dst_tenant, auth = sys.argv[1:5]
    polling = {'max_retries': 30, 'retry_interval': 0.1}
    with make_client(root, src_tenant, auth, 'SANDBOX_SRC') as src, make_client(root, dst_tenant, auth, 'SANDBOX_DST') as dst:
        downloads = src.impex.exp(services=['pricing/quote'], version_filter='all', source_system='sdk-test', **polling)
        check(len(downloads) == 1, f'one package downloaded, got {len(downloads)}')
        package = downloads[0].buffer
        check(package[:2] == b'PK', 'the package is a ZIP')

        status = dst.impex.imp(
            'pricing/quote',
            io.BytesIO(package),
            if_present='add_version',
            correlation_id=f'sdk-{auth}',
            **polling,
        )
        data = status.data
        check(data['status'] == 'completed', f'import completed: {data}')
        check(data['correlation_id'] == f'sdk-{auth}', 'correlation id echoed')
        services = data['outputs']['services']
        versions = data['outputs']['service_versions']
        check([s['service_uri_destination'] for s in services] == ['pricing/quote'], f'services: {services}')
        check(services[0]['status'] == 'updated', f'the existing service is updated: {services}')
        check([v['version_source'] for v in versions] == ['1.0.0', '1.1.0'], f'versions: {versions}')
        check(all(v['status'] == 'added' for v in versions), f'versions added: {versions}')

        listing = dst.impex.imports.describe().data
        recent = [job['id'] for job in listing['recent_imports']]
        check(data['id'] in recent, f'the import is listed as recent: {listing}')

    print(json.dumps({
        'auth': auth,
        'package_bytes': len(package),
        'import_id': data['id'],
        'versions': [v['version_destination'] for v in versions],
    }))


if __name__ == '__main__':
    main()
