using Automations.Features.ApiKeys;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Automations.Infrastructure.Telemetry;

public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>The Prometheus scrape endpoint.</summary>
    public PrometheusEndpointOptions Prometheus { get; set; } = new();

    /// <summary>An OTLP collector (e.g. http://otel-collector:4317) to push metrics and traces to; also read from OTEL_EXPORTER_OTLP_ENDPOINT.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> (port 4317) or <c>http/protobuf</c> (port 4318; the signal paths /v1/metrics and /v1/traces are added).</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>The gauges read the database at most this often, however often they are scraped.</summary>
    public TimeSpan GaugeCache { get; set; } = TimeSpan.FromSeconds(5);
}

public sealed class PrometheusEndpointOptions
{
    public bool Enabled { get; set; } = true;

    public string Path { get; set; } = "/metrics";

    /// <summary>
    /// Unset: the endpoint is on the app's own port, for instance administrators' API keys only. Set: the endpoint
    /// answers only on this port (added to the addresses the app listens on), without sign-in, for a scraper on a
    /// private network; the app's own port then answers 404 there.
    /// </summary>
    public int? Port { get; set; }
}

/// <summary>OpenTelemetry: the engine's meter, ASP.NET Core and HttpClient; Prometheus scraping and OTLP export by configuration.</summary>
public static class TelemetrySetup
{
    public const string MetricsPolicy = "Metrics";

    public static WebApplicationBuilder AddAppTelemetry(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var settings = configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        builder.Services.Configure<TelemetryOptions>(configuration.GetSection(TelemetryOptions.Section));
        builder.Services.AddEngineMetrics();
        var otlp = settings.OtlpEndpoint ?? configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (otlp is not null && !Uri.TryCreate(otlp, UriKind.Absolute, out _))
        {
            throw new InvalidOperationException($"Telemetry:OtlpEndpoint '{otlp}' is not an absolute URL (e.g. http://otel-collector:4317).");
        }

        var protocol = settings.OtlpProtocol switch
        {
            "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            _ => throw new InvalidOperationException($"Telemetry:OtlpProtocol '{settings.OtlpProtocol}' is not one of grpc, http/protobuf."),
        };

        void Otlp(OtlpExporterOptions o, string signal)
        {
            o.Protocol = protocol;
            o.Endpoint = new Uri(protocol == OtlpExportProtocol.HttpProtobuf ? $"{otlp!.TrimEnd('/')}/v1/{signal}" : otlp!);
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("automations", serviceVersion: ProductInfo.Version, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(EngineMetrics.MeterName).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (settings.Prometheus.Enabled)
                {
                    metrics.AddPrometheusExporter();
                }

                if (otlp is not null)
                {
                    metrics.AddOtlpExporter(o => Otlp(o, "metrics"));
                }
            });
        if (otlp is not null)
        {
            // Traces go nowhere without a collector, so they are only made when there is one.
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/_blazor"))
                .AddHttpClientInstrumentation(o =>
                {
                    // Webhook, Slack and Teams URLs carry secrets in their paths: a trace keeps the scheme and host only.
                    o.EnrichWithHttpRequestMessage = (activity, request) => activity.SetTag("url.full", RedactUrl(request.RequestUri));
                    o.RecordException = false;
                })
                .AddOtlpExporter(o => Otlp(o, "traces")));
        }

        if (settings.Prometheus is { Enabled: true, Port: { } port })
        {
            // Keep the addresses the app was given (--urls, ASPNETCORE_URLS) and add the metrics port.
            var urls = configuration["urls"] is { Length: > 0 } given ? given : "http://localhost:5000";
            builder.WebHost.UseUrls([.. urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), $"http://0.0.0.0:{port}"]);
        }

        builder.Services.AddAuthorizationBuilder().AddPolicy(MetricsPolicy, policy => policy
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireClaim(Actor.InstanceAdminClaim, "true"));
        return builder;
    }

    /// <summary>The engine's instruments; the features that record into them register them too (TryAdd), so they work without an exporter.</summary>
    public static IServiceCollection AddEngineMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<EngineMetrics>();
        return services;
    }

    public static IEndpointRouteBuilder MapAppMetrics(this IEndpointRouteBuilder endpoints)
    {
        // The gauges exist from the start, not from the first delivery that asks for the instruments.
        endpoints.ServiceProvider.GetRequiredService<EngineMetrics>();
        var settings = endpoints.ServiceProvider.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        if (!settings.Prometheus.Enabled)
        {
            return endpoints;
        }

        var scrape = endpoints.MapPrometheusScrapingEndpoint(settings.Prometheus.Path);
        if (settings.Prometheus.Port is { } port)
        {
            scrape.RequireHost($"*:{port}");
        }
        else
        {
            scrape.RequireAuthorization(MetricsPolicy);
        }

        return endpoints;
    }

    /// <summary>
    /// <c>https://hooks.slack.com/services/T0/B0/secret?x=1</c> → <c>https://hooks.slack.com/…</c>: what a trace or log line may keep
    /// of an outbound URL. The path and query of a webhook URL are the receiver's business and often a credential.
    /// </summary>
    public static string RedactUrl(Uri? url) => url is null ? "" : url.IsAbsoluteUri
        ? $"{url.Scheme}://{url.Authority}/{(url.AbsolutePath is "/" && url.Query is "" ? "" : "…")}"
        : "…";
}
