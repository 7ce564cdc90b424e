using Automations.Features.ApiKeys;
using Automations.Features.Artifacts;
using Automations.Features.Audit;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Launch;
using Automations.Features.Retention;
using Automations.Features.Secrets;
using Automations.Features.Slack;
using Automations.Features.Teams;
using Automations.Features.Webhooks;

namespace Automations.Features;

/// <summary>Every feature's services and endpoints, in one list: the app and the tests' service provider both use it, so a new feature is one line here.</summary>
public static class FeatureModules
{
    public static IServiceCollection AddFeatures(this IServiceCollection services, IConfiguration configuration) => services
        .AddTeams()
        .AddSecrets()
        .AddWebhooks()
        .AddSlack()
        .AddApiKeys()
        .AddArtifacts()
        .AddAutomations()
        .AddDispatch(configuration)
        .AddLaunch(configuration)
        .AddAudit()
        .AddRetention(configuration);

    public static IEndpointRouteBuilder MapFeatures(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapTeams();
        endpoints.MapSecrets();
        endpoints.MapWebhooks();
        endpoints.MapSlack();
        endpoints.MapApiKeys();
        endpoints.MapArtifacts();
        endpoints.MapAutomations();
        endpoints.MapDispatch();
        endpoints.MapLaunch();
        endpoints.MapAudit();
        return endpoints;
    }
}
