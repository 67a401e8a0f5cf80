"""Part 6 "Configuration State" (harness.roles.configuration) against the station simulator's own device model:
read first, write only what differs, the "if implemented" / "if ReadWrite" / "contains" forms, and restore."""

from __future__ import annotations

from typing import Any

import pytest

from harness.errors import PreconditionNotMet
from harness.roles.configuration import Contains, IfImplemented, IfWritable, StationConfiguration
from harness.simulators.device_model import DeviceModel, VarKey


class Station:
    """The device model behind GetVariables / SetVariables, counting what the harness sent."""

    def __init__(self, *, read_only_tx_points: bool = False) -> None:
        self.model = DeviceModel([1])
        if read_only_tx_points:
            self.model.variables[VarKey("TxCtrlr", "TxStartPoint")].attributes["Actual"].mutability = "ReadOnly"
        self.sets: list[dict[str, Any]] = []

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        if action == "GetVariables":
            return {"getVariableResult": [self.model.get(d) for d in payload["getVariableData"]]}
        assert action == "SetVariables"
        self.sets.append(payload)
        return {"setVariableResult": [self.model.set(d)[0] for d in payload["setVariableData"]]}


def configuration(station: Station, notes: list[str]) -> StationConfiguration:
    return StationConfiguration(station.call, notes.append)


async def test_writes_only_what_differs_and_restores_it() -> None:
    station, notes = Station(), []
    config = configuration(station, notes)
    start = station.model.actual(VarKey("TxCtrlr", "TxStartPoint"))
    values = await config.apply({"TxCtrlr.TxStartPoint": Contains("EVConnected"), "AuthCtrlr.Enabled": True})
    assert values == {"TxCtrlr.TxStartPoint": "EVConnected", "AuthCtrlr.Enabled": "true"}
    assert [d["variable"]["name"] for d in station.sets[0]["setVariableData"]] == ["TxStartPoint"]  # Enabled was true
    assert await config.restore() == [f"TxCtrlr.TxStartPoint back to {start!r}: Accepted"]
    assert station.model.actual(VarKey("TxCtrlr", "TxStartPoint")) == start


async def test_a_read_only_variable_keeps_the_stations_value_where_the_table_allows() -> None:
    station, notes = Station(read_only_tx_points=True), []
    config = configuration(station, notes)
    values = await config.apply({"TxCtrlr.TxStartPoint": IfWritable(Contains("EVConnected"))})
    assert values == {"TxCtrlr.TxStartPoint": "PowerPathClosed"}
    assert "keeps its own value" in notes[0] and not config.originals
    with pytest.raises(PreconditionNotMet, match=r"TxCtrlr\.TxStartPoint = EVConnected: Rejected"):
        await config.apply({"TxCtrlr.TxStartPoint": "EVConnected"})


async def test_an_unknown_variable_is_fine_only_if_implemented() -> None:
    station, notes = Station(), []
    config = configuration(station, notes)
    # a variable the simulator's device model does not have (Part 2 names it; the station need not)
    unknown = "ReservationCtrlr.NonEvseSpecific"
    assert await config.apply({unknown: IfImplemented(False)}) == {unknown: None}
    with pytest.raises(PreconditionNotMet, match=r"UnknownVariable|UnknownComponent"):
        await config.apply({unknown: False})
