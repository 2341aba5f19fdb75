"""`pulumi-resource-ddm`: the gRPC server of the provider plugin (`plugin.DdmProvider`).

The Pulumi SDK's experimental server (`grpc.aio`), with Create, Update and Read answering
`plugin.PartialState` as the error detail `ErrorResourceInitFailed` (the engine then saves the
resource with its job and an init error), and this package's errors as their message alone. `main`
serves on 127.0.0.1, prints the port for the engine and serves until the engine goes away.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from typing import Any

import grpc
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import CreateRequest, UpdateRequest

from .errors import DdmError
from .plugin import DdmProvider, PartialState
from .plugin_schema import semver

__all__ = ["engine_address", "main"]


def _servicer_class() -> type:
    from pulumi.provider.experimental.server import ProviderServicer
    from pulumi.runtime import proto
    from pulumi.runtime.proto import provider_pb2, status_pb2

    async def abort_clean(context: Any, exc: BaseException) -> None:
        """Abort the call with this package's message alone (no traceback of the server's wrapper)."""
        inner = exc if isinstance(exc, DdmError) else exc.__context__
        if isinstance(inner, DdmError):
            await context.abort(grpc.StatusCode.UNKNOWN, str(inner))

    def _answering_cleanly(method: Any) -> Any:
        """The SDK servicer's `method`, aborting with this package's message alone when it fails."""

        async def call(self: Any, request: Any, context: Any) -> Any:
            try:
                return await method(self, request, context)
            except Exception as exc:
                await abort_clean(context, exc)
                raise

        return call

    class Servicer(ProviderServicer):  # type: ignore[misc,unused-ignore]
        """The SDK's servicer, with Create/Update answering `PartialState` as `ErrorResourceInitFailed`."""

        async def Create(self, request: Any, context: Any) -> Any:  # noqa: N802
            try:
                resp = await self._provider.create(CreateRequest(
                    request.urn, PropertyValue.unmarshal_map(request.properties), request.timeout, request.preview))
            except PartialState as exc:
                await context.abort_with_status(_init_failed(exc))
                raise
            except DdmError as exc:
                await abort_clean(context, exc)
                raise
            properties = PropertyValue.marshal_map(resp.properties)
            return proto.CreateResponse(id=resp.resource_id or "", properties=properties)

        async def Update(self, request: Any, context: Any) -> Any:  # noqa: N802
            try:
                resp = await self._provider.update(UpdateRequest(
                    request.urn, request.id, PropertyValue.unmarshal_map(request.olds),
                    PropertyValue.unmarshal_map(request.news), timeout=request.timeout,
                    ignore_changes=list(request.ignoreChanges), preview=request.preview))
            except PartialState as exc:
                await context.abort_with_status(_init_failed(exc))
                raise
            except DdmError as exc:
                await abort_clean(context, exc)
                raise
            return proto.UpdateResponse(properties=PropertyValue.marshal_map(resp.properties or {}))

        Check = _answering_cleanly(ProviderServicer.Check)
        Diff = _answering_cleanly(ProviderServicer.Diff)
        Invoke = _answering_cleanly(ProviderServicer.Invoke)

        async def Read(self, request: Any, context: Any) -> Any:  # noqa: N802
            try:
                return await super().Read(request, context)
            except Exception as exc:
                if isinstance(exc.__context__, PartialState):
                    await context.abort_with_status(_init_failed(exc.__context__))
                await abort_clean(context, exc)
                raise

    def _init_failed(exc: PartialState) -> grpc.Status:
        detail = provider_pb2.ErrorResourceInitFailed(
            id=exc.resource_id, properties=PropertyValue.marshal_map(exc.properties), reasons=[exc.reason],
            inputs=PropertyValue.marshal_map(exc.inputs))
        body = status_pb2.Status(code=grpc.StatusCode.UNKNOWN.value[0], message=exc.reason)
        body.details.add().Pack(detail)
        status = grpc.Status()
        status.code = grpc.StatusCode.UNKNOWN  # type: ignore[attr-defined,unused-ignore]
        status.details = exc.reason  # type: ignore[attr-defined,unused-ignore]
        status.trailing_metadata = (("grpc-status-details-bin", body.SerializeToString()),)  # type: ignore[attr-defined,unused-ignore]
        return status

    return Servicer


def engine_address(argv: Sequence[str]) -> str | None:
    """The engine's address: the last positional argument (flags such as `--logtostderr`, `-v=9`
    and `--tracing URL` come first)."""
    positional = [a for i, a in enumerate(argv) if not a.startswith("-") and not (i and argv[i - 1] == "--tracing")]
    return positional[-1] if positional else None


def main(argv: Sequence[str] | None = None) -> None:
    """`pulumi-resource-ddm [flags] ENGINE_ADDRESS`: serve on 127.0.0.1 (a free port), print the
    port on stdout (the engine reads it), serve until the engine goes away."""
    from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
    from pulumi.runtime.proto import provider_pb2_grpc

    from .watchdog import watch_engine

    args = list(sys.argv[1:] if argv is None else argv)
    address = engine_address(args)
    provider = DdmProvider(engine_address=address)
    servicer = _servicer_class()(args, semver(), provider, engine_address=address or "")

    async def serve() -> None:
        server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
        await server.wait_for_termination()

    if address is not None:
        watch_engine(argv=["pulumi-resource-ddm", address])
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
