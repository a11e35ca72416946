"""The naive verification bench/verify.sh compares against: each case of a CSV file run with one v3 call
per environment (acme-uat, then acme-prod, pricing/quote), over one keep-alive connection, and the outputs
compared exactly. Prints {"cases", "changed", "calls"} as JSON.

Usage: naive-verify.py ROOT CASES.csv
"""
import csv
import http.client
import json
import sys
from urllib.parse import urlparse


def main() -> None:
    root, path = sys.argv[1:3]
    url = urlparse(root)
    connection = http.client.HTTPConnection(url.hostname, url.port)
    calls = 0

    def run(tenant: str, token: str, inputs: dict) -> dict:
        nonlocal calls
        body = json.dumps({'request_data': {'inputs': inputs}, 'request_meta': {'call_purpose': 'Single Execution'}})
        headers = {'Authorization': f'Bearer {token}', 'Content-Type': 'application/json'}
        connection.request('POST', f'/{tenant}/api/v3/folders/pricing/services/quote/execute', body, headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
        calls += 1
        if response.status != 200:
            raise SystemExit(f'{tenant}: {response.status} {answer}')
        return answer['response_data']['outputs']

    cases = changed = 0
    with open(path, newline='') as f:
        for row in csv.DictReader(f):
            inputs = {k: float(v) for k, v in row.items() if v != ''}
            cases += 1
            changed += run('acme-uat', 'tok-acme-uat', inputs) != run('acme-prod', 'tok-acme-prod', inputs)
    print(json.dumps({'cases': cases, 'changed': changed, 'calls': calls}))


if __name__ == '__main__':
    main()
