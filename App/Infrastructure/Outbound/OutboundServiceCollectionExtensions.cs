using Microsoft.Extensions.Options;

namespace Automations.Infrastructure.Outbound;

public static class OutboundServiceCollectionExtensions
{
    /// <summary>The name of the only HttpClient allowed to reach user-supplied URLs.</summary>
    public const string GuardedClient = "guarded";

    public static IServiceCollection AddGuardedHttpClient(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<OutboundOptions>(configuration.GetSection(OutboundOptions.Section));
        // "--Outbound:AllowedHosts=a,b" (one value, not an array) is what operators type: accept it beside the array form.
        services.PostConfigure<OutboundOptions>(o => o.AllowedHosts = o.AllowedHosts
            .Append(configuration[$"{OutboundOptions.Section}:{nameof(OutboundOptions.AllowedHosts)}"] ?? "")
            .SelectMany(h => h.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Distinct(StringComparer.OrdinalIgnoreCase).ToArray());
        services.AddSingleton<IHostResolver, DnsHostResolver>();
        services.AddSingleton<UrlGuard>();
        services.AddHttpClient(GuardedClient, (sp, client) =>
            {
                client.Timeout = sp.GetRequiredService<IOptions<OutboundOptions>>().Value.RequestTimeout;
            })
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var options = sp.GetRequiredService<IOptions<OutboundOptions>>().Value;
                var guard = sp.GetRequiredService<UrlGuard>();
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    UseProxy = false,
                    UseCookies = false,
                    ConnectTimeout = options.ConnectTimeout,
                    MaxResponseHeadersLength = 64,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                    ConnectCallback = guard.ConnectAsync,
                };
            })
            // The handler's ConnectCallback is the guard; no logging handlers that could print headers.
            .RemoveAllLoggers();
        return services;
    }
}
