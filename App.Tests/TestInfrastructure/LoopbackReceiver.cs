using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Automations.Tests.TestInfrastructure;

public sealed record ReceivedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>A real Kestrel webhook receiver on 127.0.0.1 that records what it gets and answers as told.</summary>
public sealed class LoopbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();

    /// <summary>What the receiver answers; replace it to script a scenario.</summary>
    public Func<HttpContext, Task> Respond { get; set; } = async context =>
    {
        context.Response.StatusCode = 200;
        context.Response.Headers["X-Receiver"] = "loopback";
        await context.Response.WriteAsync("{\"ok\":true}");
    };

    public int Port { get; }

    /// <summary>A URL through "localhost", the host name tests allowlist.</summary>
    public string Url(string path = "/hook") => $"http://localhost:{Port}{path}";

    private LoopbackReceiver(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public static async Task<LoopbackReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        LoopbackReceiver? receiver = null;
        app.Run(async context =>
        {
            using var ms = new MemoryStream();
            await context.Request.Body.CopyToAsync(ms);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            receiver!.Received.Enqueue(new ReceivedRequest(context.Request.Method, context.Request.Path, headers, ms.ToArray()));
            await receiver.Respond(context);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver = new LoopbackReceiver(app, new Uri(address).Port);
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
