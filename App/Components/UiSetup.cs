using Automations.Components.Account;
using Automations.Infrastructure;
using Automations.Infrastructure.Api;
using Automations.Infrastructure.Security;
using MudBlazor.Services;

namespace Automations.Components;

public static class UiSetup
{
    public static IServiceCollection AddAppUi(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        // Notices at the bottom left: at the top right they covered the pages' main buttons (New automation).
        services.AddMudServices(c => c.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomLeft);
        services.AddScoped<CurrentActor>();
        services.AddScoped<CircuitOrigin>();
        return services;
    }

    public static WebApplication UseAppPipeline(this WebApplication app)
    {
        app.UseGracefulStop();
        app.UseSecurityHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
        }

        // Called here, not left to WebApplication (which runs them before all of the above), so that what authentication
        // answers itself (an API 401 or 429) also carries the security headers and errors in it reach the error page.
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseApiRequestLimits();
        app.UseApiErrors();
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
