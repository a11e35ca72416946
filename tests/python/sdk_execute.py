"""The official Spark Python SDK's `services.execute` against a spark-promote sandbox: a dict of inputs
goes to v3 (one record), a list to v4 (a batch), and a `version/{id}` URI to v3's version-id form.

Usage: sdk_execute.py ROOT TENANT   (bearer token from SANDBOX_TOKEN)
Prints a JSON summary on stdout; exits non-zero on any failed check.
"""
import json
import os
import sys

from cspark.sdk import BaseUrl, Client


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f'check failed: {message}')


def main() -> None:
    root, tenant = sys.argv[1:3]
    with Client(base_url=BaseUrl(root, tenant), token=os.environ['SANDBOX_TOKEN'], logger=False) as client:
        one = client.services.execute('pricing/quote[1.0.0]', inputs={'age': 60, 'cover': 200000}).data
        check(one['outputs'] == [{'premium': 320.0, 'band': 'senior'}], f'v3 outputs: {one}')
        check(one['version'] == '1.0.0', f'v3 version: {one}')
        batch = client.services.execute(
            'pricing/quote', inputs=[{'age': 20, 'cover': 100000}, {'age': 'x'}, {'age': 80, 'cover': 100000}]
        ).data
        check(len(batch['outputs']) == 3, f'v4 answers each record: {batch}')
        check(batch['version'] == '1.1.0', f'v4 runs the latest: {batch}')
        check(batch['errors'][1] and batch['errors'][1][0]['source_path'] == 'inputs.age', f'v4 errors: {batch}')
        by_id = client.services.execute(f"version/{one['version_id']}", inputs={'age': 60, 'cover': 200000}).data
        check(by_id['outputs'] == one['outputs'], f'v3 by version id: {by_id}')
        print(json.dumps({'v3': one['outputs'][0], 'v4': batch['outputs'], 'version_id': by_id['version_id']}))


if __name__ == '__main__':
    main()
