using System.Security.Claims;
using Automations.Infrastructure;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace Automations.Tests.TestInfrastructure;

/// <summary>
/// bUnit with MudBlazor's services and the app's real services (over SQLite) behind them,
/// signed in as a chosen actor.
/// </summary>
public sealed class AppTestContext : BunitContext
{
    public AppTestContext(TestServices services, Actor actor)
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddScoped<CurrentActor>();
        Services.AddScoped<CircuitOrigin>();
        // Monaco needs a browser; component tests type into the plain text area the editor falls back to.
        Services.AddSingleton(new Automations.Features.Automations.JsonEditorOptions { UseMonaco = false });
        // bUnit registers the system clock of its own; components must see the services' fake one.
        Services.AddSingleton<TimeProvider>(services.Clock);
        Services.AddFallbackServiceProvider(services.Provider);
        var auth = AddAuthorization();
        auth.SetAuthorized(actor.UserName);
        auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, actor.UserId));
        // Components see a live (interactive) page, as in the app's circuit: live updates subscribe only there.
        // (Last: the renderer is made from the services, which cannot change after.)
        Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    /// <summary>Dialogs and menus render into these providers, as in MainLayout.</summary>
    public IRenderedComponent<MudDialogProvider> RenderProviders()
    {
        Render<MudPopoverProvider>();
        return Render<MudDialogProvider>();
    }
}
