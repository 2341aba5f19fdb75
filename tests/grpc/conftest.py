"""Run the real provider process (`python -m pulumi.dynamic`) and talk to it over gRPC.

This is what the Pulumi engine does: start the process in the program directory, read its
port from the first stdout line, call Configure with the stack config, then
Check/Diff/Create/Read/Update/Delete with the serialized provider in `__provider`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from ddm_emulator import DEMO_PROJECT_ID
from ddm_resources.provider import MetadataRecoveryProvider
from tests.conftest import REPO, TOKEN, failure_field

PROJECT = "ddm-metadata-recovery"
URN = f"urn:pulumi:test::{PROJECT}::pulumi-python:dynamic/ddm:MetadataRecovery::restore"
PROVIDER = serialize_provider(MetadataRecoveryProvider())


def to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    """Serialize a property bag the way the engine does (unknowns and secrets included)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}, keep_output_values=False))
    finally:
        loop.close()


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return rpc.deserialize_properties(struct, keep_unknowns=True)


class ProviderProcess:
    """One `python -m pulumi.dynamic` process and a gRPC stub to it."""

    def __init__(self, config: dict[str, str]) -> None:
        env = {**os.environ, "PULUMI_PROJECT": PROJECT}
        for key in ("OS_TOKEN", "OS_AUTH_TOKEN", "OS_PROJECT_ID", "DDM_ENDPOINT"):
            env.pop(key, None)
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        port = int(self.proc.stdout.readline())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stub.Configure(provider_pb2.ConfigureRequest(args=to_struct(config)), timeout=10)

    def check(self, news: dict[str, Any], olds: dict[str, Any] | None = None):
        response = self.stub.Check(provider_pb2.CheckRequest(
            urn=URN, olds=to_struct(olds or {}), news=to_struct({**news, "__provider": PROVIDER})), timeout=10)
        return from_struct(response.inputs), [(failure_field(f), f.reason) for f in response.failures]

    def create(self, props: dict[str, Any]):
        response = self.stub.Create(provider_pb2.CreateRequest(
            urn=URN, properties=to_struct({**props, "__provider": PROVIDER})), timeout=60)
        return response.id, from_struct(response.properties)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any], provider: str = PROVIDER):
        return self.stub.Diff(provider_pb2.DiffRequest(
            id=id_, urn=URN, olds=to_struct(olds), news=to_struct({**news, "__provider": provider})), timeout=10)

    def read(self, id_: str, props: dict[str, Any]):
        response = self.stub.Read(provider_pb2.ReadRequest(id=id_, urn=URN, properties=to_struct(props)), timeout=30)
        return response.id, from_struct(response.properties)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]):
        response = self.stub.Update(provider_pb2.UpdateRequest(
            id=id_, urn=URN, olds=to_struct(olds), news=to_struct({**news, "__provider": PROVIDER})), timeout=10)
        return from_struct(response.properties)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self.stub.Delete(provider_pb2.DeleteRequest(id=id_, urn=URN, properties=to_struct(props)), timeout=10)

    def close(self) -> tuple[str, str]:
        """Stop the process; return what it wrote to stdout and stderr."""
        self.channel.close()
        self.proc.terminate()
        out, err = self.proc.communicate(timeout=10)
        return out, err


@pytest.fixture
def provider_config(emulator) -> dict[str, str]:
    """Stack config for the provider: the emulator's endpoint, project and a secret token."""
    return {
        "ddm:endpoint": emulator.url,
        "ddm:projectId": DEMO_PROJECT_ID,
        "ddm:token": rpc.wrap_rpc_secret(TOKEN),
        "ddm:pollInterval": "0.05",
    }


@pytest.fixture
def provider(provider_config) -> Iterator[ProviderProcess]:
    process = ProviderProcess(provider_config)
    try:
        yield process
    finally:
        process.close()
