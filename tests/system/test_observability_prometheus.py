"""The committed Prometheus config, alert rules and Grafana dashboards, checked against a real Prometheus.

promtool checks the config and the rules and runs each alert's unit test. Then Debian's `prometheus` runs on
loopback (temporary storage, the committed config with the test's ports) scraping every process of a
distributed run under a short load, and every PromQL expression of every dashboard panel, Grafana variables
substituted, must parse and return at least one series. The dead letter the load creates must fire the
DeadLettersPending rule, evaluated by that Prometheus from the committed rules file; the business flow of the
load (a hire to its salary paid, an invoice) must show in the business gauges with its figures.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import yaml

from services.envelope import Envelope
from tests.e2e.deployments import Deployment
from tests.e2e.observability import (
    OBSERVED_TIMEOUT,
    business_flow,
    closed_port,
    generate_load,
    observed_deployment,
)
from tests.e2e.skeleton import auth

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "deploy/prometheus"
DASHBOARDS = sorted((ROOT / "deploy/grafana").glob("*.json"))
RULES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
WITHIN = 90.0  # seconds for a series to show up: scraped every second, sampled every 5
# The load's poisoned message and business flow, once the module's deployment has run them.
POISONED: list[Envelope] = []
FLOW: list[dict[str, Any]] = []


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: scripts/install.sh installs it (apt-get install prometheus)")
    return found


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("promtool"), *map(str, args)], capture_output=True, text=True, cwd=PROMETHEUS_DIR
    )


def alerts_in(rule_files: list[Path]) -> set[str]:
    return {
        rule["alert"]
        for path in rule_files
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def test_the_committed_config_and_rules_pass_promtool() -> None:
    config = promtool("check", "config", PROMETHEUS_DIR / "prometheus.yml")
    assert config.returncode == 0, config.stdout + config.stderr
    rules = promtool("check", "rules", *RULES)
    assert rules.returncode == 0, rules.stdout + rules.stderr


def test_every_alert_has_a_passing_unit_test_and_a_runbook_entry() -> None:
    alerts = alerts_in(RULES)
    assert {
        "OutboxStale",
        "ConsumerLagGrowing",
        "DeadLettersPending",
        "HighServerErrorRatio",
        "SalaryPaymentLate",
    } <= alerts
    tested = {
        case["alertname"]
        for path in RULE_TESTS
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")  # a test that expects it to fire, not only to stay quiet
    }
    assert alerts <= tested, f"alerts without a unit test that fires them: {sorted(alerts - tested)}"
    result = promtool("test", "rules", *RULE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    runbook = (ROOT / "docs/operations.md").read_text().lower()
    missing = [alert for alert in alerts if f"### {alert.lower()}" not in runbook]
    assert not missing, f"alerts without a runbook entry in docs/operations.md: {missing}"


# -- against a running Prometheus ---------------------------------------------------------------------------


def scrape_config(ports: dict[str, int]) -> dict[str, Any]:
    """The committed config, scraping the test's processes every second, with the committed rules."""
    config: dict[str, Any] = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(path) for path in RULES]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == set(ports), "the committed config scrapes every process of the distributed mode"
    for name, job in jobs.items():
        job["static_configs"] = [{"targets": [f"127.0.0.1:{ports[name]}"]}]
    return config


@pytest_asyncio.fixture(scope="module")
async def deployment(
    database_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Deployment]:
    logs = tmp_path_factory.mktemp("observed-processes")
    async with observed_deployment(database_url, kafka_bootstrap, logs) as running:
        # The flow waits for its minute of work: the rest of the load runs meanwhile.
        poisoned, flow = await asyncio.gather(generate_load(running, kafka_bootstrap), business_flow(running))
        POISONED.append(poisoned)
        FLOW.append(flow)
        yield running


@pytest.fixture(scope="module")
def prometheus(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("prometheus")
    config = home / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config(deployment.ports)))
    port = closed_port()
    with (home / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                tool("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        if process.returncode not in (0, -15):
            print((home / "prometheus.log").read_text())


async def query(client: httpx.AsyncClient, expr: str) -> list[dict[str, Any]]:
    """The instant query's result; an expression Prometheus refuses fails the test at once."""
    answer = await client.get("/api/v1/query", params={"query": expr})
    body = answer.json()
    assert answer.status_code == 200, f"{expr}\n-> {body}"
    assert body["status"] == "success", f"{expr}\n-> {body}"
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


async def until_series(
    client: httpx.AsyncClient, exprs: list[str], within: float, where: dict[str, str] | None = None
) -> dict[str, list[Any]]:
    """Queries each expression until it returns a series, all within one deadline; fails naming the others."""
    deadline = time.monotonic() + within
    found: dict[str, list[Any]] = {}
    while True:
        for expr in exprs:
            if expr not in found and (result := await query(client, expr)):
                found[expr] = result
        missing = [expr for expr in exprs if expr not in found]
        if not missing:
            return found
        if time.monotonic() > deadline:
            named = [f"{(where or {}).get(expr, '')}: {expr}" for expr in missing]
            raise AssertionError(f"no series after {within}s for:\n  " + "\n  ".join(named))
        await asyncio.sleep(0.5)  # the next scrape is what we wait for; a query per half second is plenty


async def until_ready(client: httpx.AsyncClient, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            if (await client.get("/-/ready")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"Prometheus not ready after {within} s")
        await asyncio.sleep(0.1)


def panel_targets(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for panel in dashboard["panels"]:
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                yield f"{dashboard['title']} / {inner['title']}", target["expr"]


async def variable_values(client: httpx.AsyncClient, variable: dict[str, Any]) -> list[str]:
    """What Grafana would offer: `label_values(metric, label)` asked of the label values API."""
    definition = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
    matched = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", definition)
    assert matched, f"unsupported variable query {definition!r}"
    metric, label = matched.groups()
    deadline = time.monotonic() + WITHIN
    while True:
        answer = await client.get(f"/api/v1/label/{label}/values", params={"match[]": metric})
        values: list[str] = answer.json()["data"]
        if values:
            return values
        if time.monotonic() > deadline:
            raise AssertionError(f"variable {variable['name']}: no value of {label} on {metric}")
        await asyncio.sleep(0.5)


async def substituted(client: httpx.AsyncClient, dashboard: dict[str, Any], expr: str) -> str:
    for variable in dashboard["templating"]["list"]:
        if variable["type"] != "query":
            continue
        values = await variable_values(client, variable)
        # "All" selected: Grafana writes a multi-value variable as a regex alternation.
        regex = "(" + "|".join(re.escape(value) for value in values) + ")"
        expr = expr.replace("${" + variable["name"] + "}", regex).replace("$" + variable["name"], regex)
    expr = expr.replace("$__rate_interval", "15s").replace("$__range", "5m")
    assert "$" not in expr, f"a variable left unsubstituted in {expr}"
    return expr


@pytest.mark.kafka
@pytest.mark.slow
@pytest.mark.timeout(OBSERVED_TIMEOUT)
async def test_every_dashboard_expression_returns_series_from_a_real_prometheus(
    deployment: Deployment, prometheus: str
) -> None:
    async with httpx.AsyncClient(base_url=prometheus, timeout=10) as client:
        await until_ready(client)
        # Every process scraped, not one missing.
        await until_series(client, [f'up{{job="{name}"}} == 1' for name in deployment.ports], WITHIN)
        exprs: dict[str, str] = {}
        for path in DASHBOARDS:
            dashboard = json.loads(path.read_text())
            for where, expr in panel_targets(dashboard):
                exprs[await substituted(client, dashboard, expr)] = where
        assert len(exprs) >= 20, "the dashboards' panels"
        await until_series(client, list(exprs), WITHIN, where=exprs)

        # The gateway's webhook counters: one of each inbound outcome, and failed delivery attempts.
        counted = await until_series(
            client,
            [
                f'gateway_inbound_webhooks_total{{kind="test.ping",outcome="{outcome}"}} == 1'
                for outcome in ("accepted", "duplicate", "bad_signature")
            ]
            + ['gateway_webhook_delivery_attempts_total{outcome="no_answer"} >= 1'],
            WITHIN,
        )
        assert len(counted) == 4

        # The rules file as loaded by this Prometheus names the metrics as the processes expose them.
        # (The poisoned message fails in every group that reads it; contracts' is the one this test knows.)
        firing = 'ALERTS{alertname="DeadLettersPending",alertstate="firing",service_name="contracts"}'
        [alert] = (await until_series(client, [firing], WITHIN))[firing]
        assert alert["metric"]["messaging_consumer_group_name"] == "contracts.known-members"
        assert alert["metric"]["severity"] == "ticket"

        # The business gauges count the load's flow: one hire starting today, its payslip, its salary paid on
        # its due date, nothing late, one invoice issued today and owed in full, not yet due.
        [flow] = FLOW
        owed = flow["invoice"]["totals"]["total_cents"]
        figures = [
            'max(contracts_hires_today{tenant="smartfr"}) == 1',
            'max(payroll_payslips_issued_today{tenant="smartfr"}) == 1',
            'max(payroll_salary_payments_paid_30d{tenant="smartfr",timeliness="on_time"}) == 1',
            'max(payroll_salary_payments_paid_30d{tenant="smartfr",timeliness="late"}) == 0',
            'max(payroll_salary_payments_due{tenant="smartfr"}) == 0',
            'max(payroll_salary_payments_late{tenant="smartfr"}) == 0',
            'max(billing_invoices_issued_today{tenant="smartfr"}) == 1',
            'max(billing_invoices_overdue{tenant="smartfr"}) == 0',
            f'max(billing_receivables_cents{{tenant="smartfr",age="not_due"}}) == {owed}',
            'sum(billing_receivables_cents{tenant="smartfr",age!="not_due"}) == 0',
        ]
        await until_series(client, figures, WITHIN)
        quiet = 'ALERTS{alertname="SalaryPaymentLate"}'
        assert await query(client, quiet) == [], "no salary is late: the alert stays quiet"


@pytest.mark.kafka
@pytest.mark.slow
@pytest.mark.timeout(OBSERVED_TIMEOUT)
def test_every_process_logs_one_json_object_per_line(deployment: Deployment) -> None:
    assert deployment.logs is not None
    for name in deployment.ports:
        text = (deployment.logs / f"{name}.log").read_text()
        lines = [line for line in text.splitlines() if line.strip()]
        assert lines, f"{name} logged nothing"
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise AssertionError(f"{name}: not a JSON line: {line[:300]}") from None
            assert {"time", "level", "logger", "message"} <= record.keys(), line
            assert record["service"] == name, line


@pytest.mark.kafka
@pytest.mark.slow
@pytest.mark.timeout(OBSERVED_TIMEOUT)
async def test_the_ops_api_shows_the_distributed_pipeline_and_a_replay_that_fails_again(
    deployment: Deployment,
) -> None:
    """Over HTTP between processes: each service's status, the poisoned message's dead letter, and a replay
    refused because the handler still fails (the dead letter stays)."""
    [poisoned] = POISONED
    operator = await deployment.api_key("smartfr", "ops")
    gateway = deployment.gateway
    overview = await gateway.get("/ops/api/overview", headers=auth(operator))
    assert overview.status_code == 200, overview.text
    services = {view["service"]: view for view in overview.json()["services"]}
    assert set(services) == set(deployment.ports)
    assert all(view["health"] == "ready" for view in services.values()), services
    assert services["members"]["outbox"]["backlog"] >= 0  # a relay runs in the distributed mode
    contracts = {consumer["name"]: consumer for consumer in services["contracts"]["consumers"]}
    assert contracts["contracts.known-members"]["dead_letters"] >= 1

    letters = (await gateway.get("/ops/api/dead_letters", headers=auth(operator))).json()
    assert letters["unreachable"] == []
    [letter] = [
        d for d in letters["data"] if d["event_id"] == str(poisoned.event_id) and d["service"] == "contracts"
    ]
    assert letter["event_type"] == "members.MemberApplied"
    assert letter["consumer"] == "contracts.known-members"
    assert "ValidationError" in letter["error"]
    assert "not a member application" not in str(letter), "no payload on the ops API"

    replay = await gateway.post(
        f"/ops/api/dead_letters/contracts/{letter['id']}/replay", headers=auth(operator)
    )
    assert replay.status_code == 409, replay.text
    assert replay.json()["code"] == "replay_failed"
    still = (await gateway.get("/ops/api/dead_letters", headers=auth(operator))).json()["data"]
    assert any(d["id"] == letter["id"] and d["service"] == "contracts" for d in still)
