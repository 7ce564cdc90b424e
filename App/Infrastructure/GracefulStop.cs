namespace Automations.Infrastructure;

/// <summary>Configuration section "Shutdown".</summary>
public sealed class ShutdownOptions
{
    public const string Section = "Shutdown";

    /// <summary>
    /// On SIGTERM, attempts already in flight get this long to finish and be recorded; no new attempt starts.
    /// What is still running then is abandoned and its lease released, so the next start sends it at once.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Stopping takes seconds, not the host's full timeout: open browser tabs hold Blazor circuits on WebSockets,
/// which Kestrel would otherwise wait for until the timeout and then report as services that failed to stop.
/// They are closed as soon as stopping begins (the browser reconnects, to another instance if there is one);
/// background work drains in parallel within <see cref="ShutdownOptions.DrainTimeout"/>.
/// </summary>
public static class GracefulStop
{
    public static IServiceCollection AddGracefulStop(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ShutdownOptions>(configuration.GetSection(ShutdownOptions.Section));
        var drain = configuration.GetSection(ShutdownOptions.Section).Get<ShutdownOptions>()?.DrainTimeout ?? new ShutdownOptions().DrainTimeout;
        services.Configure<HostOptions>(o =>
        {
            // Both Hangfire servers (and the rest) drain at once, and the host waits for the drain plus Hangfire's own stop.
            o.ServicesStopConcurrently = true;
            o.ShutdownTimeout = drain + TimeSpan.FromSeconds(10);
        });
        services.AddSingleton<LongLivedConnections>();
        return services;
    }

    /// <summary>Tracks long-lived requests (Blazor circuits) so that stopping can close them at once.</summary>
    public static IApplicationBuilder UseGracefulStop(this IApplicationBuilder app)
    {
        var connections = app.ApplicationServices.GetRequiredService<LongLivedConnections>();
        var stopping = app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        stopping.Register(connections.AbortAll);
        return app.Use(async (context, next) =>
        {
            if (!IsLongLived(context))
            {
                await next(context);
                return;
            }

            // A browser reconnects at once when its circuit is closed, before Kestrel stops listening: while stopping,
            // such a request is refused instead of holding the stop again.
            if (stopping.IsCancellationRequested)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            using var _ = connections.Track(context, stopping);
            await next(context);
        });
    }

    /// <summary>
    /// A WebSocket upgrade (HTTP/1.1 Upgrade or HTTP/2 extended CONNECT; the WebSockets feature itself is only added
    /// inside the hub's endpoint), or a Blazor circuit's transport request (long polling and server-sent events).
    /// </summary>
    private static bool IsLongLived(HttpContext context) =>
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>()?.IsUpgradableRequest == true
        || context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpExtendedConnectFeature>()?.IsExtendedConnect == true
        || context.Request.Path.StartsWithSegments("/_blazor") && !context.Request.Path.StartsWithSegments("/_blazor/negotiate");

    public sealed class LongLivedConnections
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<HttpContext, byte> _open = new();

        public IDisposable Track(HttpContext context, CancellationToken stopping)
        {
            _open[context] = 0;
            // Stopping may have begun between the caller's check and this line, after AbortAll looked.
            if (stopping.IsCancellationRequested)
            {
                context.Abort();
            }

            return new Tracked(this, context);
        }

        public void AbortAll()
        {
            foreach (var context in _open.Keys)
            {
                context.Abort();
            }
        }

        private sealed class Tracked(LongLivedConnections owner, HttpContext context) : IDisposable
        {
            public void Dispose() => owner._open.TryRemove(context, out _);
        }
    }
}
