"""The configuration the planners read, gathered once per configuration."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config

__all__ = ["PlanSettings"]


@dataclass(frozen=True, slots=True)
class PlanSettings:
    max_rows: int | None  # db-max-rows
    aggregates_enabled: bool  # db-aggregates-enabled
    plan_enabled: bool  # db-plan-enabled: application/vnd.pgrst.plan
    legacy_target_names: bool  # url-use-legacy-target-names
    hoisted_settings: frozenset[str] = frozenset()  # db-hoisted-tx-settings

    @classmethod
    def from_config(cls, config: Config) -> PlanSettings:
        return cls(
            max_rows=config.db_max_rows,
            aggregates_enabled=config.db_aggregates_enabled,
            plan_enabled=config.db_plan_enabled,
            legacy_target_names=config.url_use_legacy_target_names,
            hoisted_settings=frozenset(config.db_hoisted_tx_settings),
        )
