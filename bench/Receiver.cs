using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Automations.Bench;

/// <summary>A Kestrel webhook receiver on 127.0.0.1 that notes when each delivery (by its "seq") arrived.</summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentDictionary<string, long> Arrivals { get; } = new();

    public int Count;

    public int Port { get; }

    private Receiver(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public static async Task<Receiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        Receiver? receiver = null;
        app.MapPost("/slow", async (HttpContext context) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
            return Results.Ok();
        });
        app.MapPost("/{name}", async (HttpContext context) =>
        {
            var now = Stopwatch.GetTimestamp();
            using var document = await JsonDocument.ParseAsync(context.Request.Body);
            if (document.RootElement.TryGetProperty("seq", out var seq))
            {
                receiver!.Arrivals.TryAdd(seq.ToString(), now);
            }

            Interlocked.Increment(ref receiver!.Count);
            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver = new Receiver(app, new Uri(address).Port);
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
