"""Checks every benchmark run and prints the tables of bench/RESULTS.md from bench/out/ (written by run.sh).

Every run must have exited 0, created exactly one import job that completed in the sandbox, and left its
destination service in the sandbox's state; spark-promote's result must say `completed` (not `skipped`).
Any failed check is printed and the exit code is 1.

Usage: report.py OUT_DIR          (run.sh's outputs)
       report.py --poll OUT_DIR   (poll.sh's outputs: OUT_DIR/DURATION/CLIENT/, one sandbox each)
"""
import json
import re
import statistics
import sys
from datetime import datetime
from pathlib import Path

CLIENTS = ['spark-promote', 'cspark', 'curl']
MB = 1_000_000
problems: list[str] = []


def load(path: Path):
    return json.loads(path.read_text())


def read_run(phase: str, directory: Path, states: dict) -> dict:
    name = f'{phase}/{directory.name}'
    client, size, _ = directory.name.rsplit('-', 2)
    run = {'client': client, 'size': int(size), 'phase': phase, 'name': name}
    rc = int((directory / 'rc').read_text())
    if rc != 0:
        problems.append(f'{name}: exit code {rc}: {(directory / "stderr").read_text()[-500:]}')
    before = {job['id'] for job in load(directory / 'jobs-before.json')}
    new = [job for job in load(directory / 'jobs-after.json') if job['id'] not in before]
    if len(new) != 1 or new[0]['object'] != 'import' or new[0]['status'] != 'completed':
        problems.append(f'{name}: expected one completed import job, the sandbox has {new}')
        return run
    job = new[0]
    stdout = (directory / 'stdout').read_text()
    reported = parse_client_output(client, stdout)
    if reported != job['id']:
        problems.append(f'{name}: the client reported job {reported}, the sandbox ran {job["id"]}')
    folder, service = (directory / 'destination').read_text().strip().split('/')
    state = states.get(phase, {})
    versions = state.get('tenants', {}).get('bench', {}).get('folders', {}).get(folder, {})
    if not versions.get('services', {}).get(service, {}).get('versions'):
        problems.append(f'{name}: {folder}/{service} is not in the sandbox after the import')
    time_text = (directory / 'time.txt').read_text()
    rss_kb = int(re.search(r'Maximum resident set size \(kbytes\): (\d+)', time_text).group(1))
    clock = re.search(r'Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)', time_text).group(1)
    stats = load(directory / 'stats.json')
    finished = datetime.fromisoformat(job['finished'].replace('Z', '+00:00')).timestamp()
    run.update(
        rss_mib=rss_kb / 1024,
        wall_s=sum(float(part) * 60**i for i, part in enumerate(reversed(clock.split(':')))),
        calls=stats['total'],
        routes={r['route']: r['count'] for r in stats['requests']},
        late_s=int((directory / 'exit_ns').read_text()) / 1e9 - finished,
    )
    return run


def parse_client_output(client: str, stdout: str):
    """The job id the client reports (and, for spark-promote, a check that the promotion completed)."""
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        return None
    if client == 'spark-promote':
        promotion = data['promotions'][0]
        if promotion['status'] != 'completed':
            problems.append(f'spark-promote reported {promotion["status"]}, not completed')
        return promotion['job_id']
    return data.get('id')


def ratio(value: float, base: float) -> str:
    return f'×{value / base:.2f}' if base else '–'


def spread(values: list) -> str:
    return f'{min(values):.2f}–{max(values):.2f}'


def imports_table(out: Path, runs: list) -> list[str]:
    lines = [
        '| package | client | wall time, s (mean ± σ) | n | × | peak RSS, MiB | × | API calls | × |',
        '|---|---|---|---|---|---|---|---|---|',
    ]
    for path in sorted(out.glob('hyperfine-[0-9]*.json'), key=lambda p: int(p.stem.split('-')[1])):
        size = int(path.stem.split('-')[1])
        results = {r['command']: r for r in load(path)['results']}
        mine = {c: [r for r in runs if r['phase'] == '5s' and r['size'] == size and r['client'] == c] for c in CLIENTS}
        base = results['spark-promote']['mean']
        base_rss = max(r['rss_mib'] for r in mine['spark-promote'])
        base_calls = statistics.mean(r['calls'] for r in mine['spark-promote'])
        for client in CLIENTS:
            wall = results[client]
            rss = max(r['rss_mib'] for r in mine[client])
            calls = [r['calls'] for r in mine[client]]
            shown_calls = f'{statistics.mean(calls):.1f}' if min(calls) != max(calls) else f'{calls[0]}'
            if min(calls) != max(calls):
                shown_calls += f' ({min(calls)}–{max(calls)})'
            lines.append(
                f'| {size} MB | {client} | {wall["mean"]:.2f} ± {wall["stddev"] or 0:.2f} | {len(wall["times"])} '
                f'| {ratio(wall["mean"], base)} | {rss:.1f} | {ratio(rss, base_rss)} '
                f'| {shown_calls} | {ratio(statistics.mean(calls), base_calls)} |'
            )
    return lines


def calls_table(runs: list) -> list[str]:
    lines = ['| job duration | client | calls per import, by route (mean over every run) |', '|---|---|---|']
    for phase in sorted({r['phase'] for r in runs}, key=lambda p: int(p.rstrip('s'))):
        for client in CLIENTS:
            mine = [r for r in runs if r['phase'] == phase and r['client'] == client]
            routes = sorted({route for r in mine for route in r['routes']})
            parts = [f'{route} {statistics.mean(r["routes"].get(route, 0) for r in mine):.1f}' for route in routes]
            lines.append(f'| {phase} | {client} | {", ".join(parts)} |')
    return lines


def lateness_table(runs: list) -> list[str]:
    lines = [
        '| job duration | client | samples | late by, s (mean) | min–max | × | wall, s (mean) | API calls (mean) |',
        '|---|---|---|---|---|---|---|---|',
    ]
    for phase in sorted({r['phase'] for r in runs}, key=lambda p: int(p.rstrip('s'))):
        mine = {c: [r for r in runs if r['phase'] == phase and r['client'] == c] for c in CLIENTS}
        if not mine['spark-promote']:
            continue
        base = statistics.mean(r['late_s'] for r in mine['spark-promote'])
        for client in CLIENTS:
            late = [r['late_s'] for r in mine[client]]
            wall = statistics.mean(r['wall_s'] for r in mine[client])
            calls = statistics.mean(r['calls'] for r in mine[client])
            lines.append(
                f'| {phase} | {client} | {len(late)} | {statistics.mean(late):.2f} | {spread(late)} '
                f'| {ratio(statistics.mean(late), base)} | {wall:.2f} | {calls:.1f} |'
            )
    return lines


def start_table(out: Path) -> list[str]:
    path = out / 'hyperfine-start.json'
    if not path.exists():
        return []
    env = dict(line.split(': ', 1) for line in (out / 'env.txt').read_text().splitlines())
    lines = [
        f'Image `localhost/spark-promote:test`: {int((out / "image-size").read_text()) / MB:.1f} MB '
        f'(podman image size); the bare release binary: {int(env["binary size"]) / MB:.1f} MB.',
        '',
        '| command | time, ms (mean ± σ) | min–max, ms | n |',
        '|---|---|---|---|',
    ]
    for result in load(path)['results']:
        times = [t * 1000 for t in result['times']]
        lines.append(
            f'| {result["command"]} | {result["mean"] * 1000:.1f} ± {(result["stddev"] or 0) * 1000:.1f} '
            f'| {min(times):.1f}–{max(times):.1f} | {len(times)} |'
        )
    return lines


def poll_main(out: Path) -> None:
    runs = []
    for pair in sorted(p for p in out.glob('*/*') if (p / 'runs').is_dir()):
        states = {p.stem.split('-')[1]: load(p) for p in pair.glob('state-*.json')}
        runs += [
            read_run(phase.name, directory, states)
            for phase in sorted((pair / 'runs').iterdir())
            for directory in sorted(phase.iterdir())
        ]
    if problems:
        print('\n'.join(f'check failed: {p}' for p in problems), file=sys.stderr)
        sys.exit(1)
    for title, lines in [
        ('API calls by route', calls_table(runs)),
        ('How long after the job ends each client exits', lateness_table(runs)),
    ]:
        print(f'### {title}\n')
        print('\n'.join(lines))
        print()
    print(f'All {len(runs)} imports checked: exit 0, one completed import job each, destination present.')


def main() -> None:
    if sys.argv[1] == '--poll':
        poll_main(Path(sys.argv[2]))
        return
    out = Path(sys.argv[1])
    states = {p.stem.split('-')[1]: load(p) for p in out.glob('state-*.json')}
    runs = [
        read_run(phase.name, directory, states)
        for phase in sorted((out / 'runs').iterdir())
        for directory in sorted(phase.iterdir())
    ]
    if problems:
        print('\n'.join(f'check failed: {p}' for p in problems), file=sys.stderr)
        sys.exit(1)
    sections = [
        ('Imports (sandbox --job-duration 5s)', imports_table(out, runs)),
        ('API calls by route', calls_table(runs)),
        ('How long after the job ends each client exits', lateness_table(runs)),
        ('Container image and start time', start_table(out)),
    ]
    for title, lines in sections:
        if lines:
            print(f'### {title}\n')
            print('\n'.join(lines))
            print()
    print(f'All {len(runs)} imports checked: exit 0, one completed import job each, destination present.')
    print('\n' + (out / 'env.txt').read_text())


if __name__ == '__main__':
    main()
