using Automations.Components.Account;
using Automations.Infrastructure;
using Automations.Infrastructure.Api;
using MudBlazor.Services;

namespace Automations.Components;

public static class UiSetup
{
    public static IServiceCollection AddAppUi(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddScoped<CurrentActor>();
        return services;
    }

    public static WebApplication UseAppPipeline(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
        }

        app.UseRateLimiter();
        app.UseApiRequestLimits();
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapAppUi(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapAdditionalIdentityEndpoints();
        return app;
    }
}
