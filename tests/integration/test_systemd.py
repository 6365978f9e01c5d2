"""Check systemd/pgrestd.service with systemd-analyze and for its hardening."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "pgrestd.service"
INSTALLED_BINARY = "/usr/local/bin/pgrestd"


def _directives(text):
    """Map each directive of the unit to the list of its values, in order."""
    found = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed")

    text = UNIT.read_text(encoding="utf-8")
    assert re.search(rf"^ExecStart={re.escape(INSTALLED_BINARY)} ", text, re.MULTILINE)
    if not os.access(INSTALLED_BINARY, os.X_OK):
        # verify fails when the ExecStart executable is missing; check the unit
        # with an executable that exists instead, everything else unchanged.
        stand_in = shutil.which("true") or "/bin/true"
        text = re.sub(
            rf"^ExecStart={re.escape(INSTALLED_BINARY)} ",
            f"ExecStart={stand_in} ",
            text,
            flags=re.MULTILINE,
        )
    unit = tmp_path / UNIT.name
    unit.write_text(text, encoding="utf-8")

    env = dict(os.environ, SYSTEMD_LOG_COLOR="0", SYSTEMD_PAGER="", LC_ALL="C")
    done = subprocess.run(
        [analyze, "verify", str(unit)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    output = done.stdout + done.stderr
    about_unit = [
        line for line in output.splitlines() if UNIT.name in line or str(tmp_path) in line
    ]
    assert done.returncode == 0, output
    assert about_unit == [], "\n".join(about_unit)


def test_unit_runs_gunicorn_as_a_notify_service():
    d = _directives(UNIT.read_text(encoding="utf-8"))
    assert d["ExecStart"] == [f"{INSTALLED_BINARY} /etc/pgrestd/pgrestd.conf"]
    assert d["Type"] == ["notify"]
    assert d["NotifyAccess"] == ["main"]
    assert d["User"] == ["pgrestd"] and d["Group"] == ["pgrestd"]
    assert d["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert d["Restart"] == ["on-failure"]
    assert d["KillSignal"] == ["SIGTERM"]
    assert "RestartSec" in d and "TimeoutStopSec" in d
    assert d["RuntimeDirectory"] == ["pgrestd"]
    assert d["WantedBy"] == ["multi-user.target"]
    after = " ".join(d["After"]).split()
    assert "network-online.target" in after and "postgresql.service" in after
    assert "network-online.target" in " ".join(d["Wants"]).split()


def test_unit_is_hardened():
    d = _directives(UNIT.read_text(encoding="utf-8"))
    expected = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes",
        "RestrictNamespaces": "yes",
        "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes",
        "SystemCallArchitectures": "native",
        "CapabilityBoundingSet": "",
    }
    for key, value in expected.items():
        assert d.get(key) == [value], key
    assert sorted(d["RestrictAddressFamilies"][0].split()) == ["AF_INET", "AF_INET6", "AF_UNIX"]


TEMPLATE = ROOT / "systemd" / "pgrestd@.service"


def test_template_unit_is_the_unit_once_per_configuration():
    """pgrestd@NAME runs /etc/pgrestd/NAME.conf; everything else is pgrestd.service's."""
    single = _directives(UNIT.read_text(encoding="utf-8"))
    per_instance = _directives(TEMPLATE.read_text(encoding="utf-8"))
    assert per_instance["ExecStart"] == [f"{INSTALLED_BINARY} /etc/pgrestd/%i.conf"]
    assert per_instance["RuntimeDirectory"] == ["pgrestd-%i"]
    assert per_instance["ExecReload"] == ["/bin/kill -HUP $MAINPID"]  # systemctl reload 'pgrestd@*'
    differ = {k for k in single.keys() | per_instance.keys() if single.get(k) != per_instance.get(k)}
    assert differ == {"Description", "ExecStart", "RuntimeDirectory"}


def test_template_unit_verifies(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed")
    text = TEMPLATE.read_text(encoding="utf-8")
    if not os.access(INSTALLED_BINARY, os.X_OK):
        text = text.replace(f"ExecStart={INSTALLED_BINARY} ", f"ExecStart={shutil.which('true') or '/bin/true'} ")
    (tmp_path / TEMPLATE.name).write_text(text, encoding="utf-8")
    env = dict(os.environ, SYSTEMD_LOG_COLOR="0", SYSTEMD_PAGER="", LC_ALL="C")
    done = subprocess.run([analyze, "verify", str(tmp_path / "pgrestd@demo.service")], capture_output=True,
                          text=True, env=env, check=False, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert [line for line in output.splitlines() if str(tmp_path) in line] == []
