using System.Runtime.ExceptionServices;
using Automations.Infrastructure;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Web;

namespace Automations.Components.Shared;

/// <summary>
/// Around every page (MainLayout): a <see cref="ForbiddenException"/> that a page lets escape while loading shows
/// <see cref="Forbidden"/> (403 on the server) in place of the page, so no page has to catch it on its own. Any other
/// exception goes on as before, unhandled: it ends the circuit, or the request fails with 500.
/// </summary>
public sealed class AccessBoundary : ErrorBoundaryBase
{
    protected override Task OnErrorAsync(Exception exception) => Task.CompletedTask;

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        switch (CurrentException)
        {
            case null:
                builder.AddContent(0, ChildContent);
                break;
            case ForbiddenException forbidden:
                builder.OpenComponent<Forbidden>(1);
                builder.AddComponentParameter(2, nameof(Forbidden.Message), forbidden.Message);
                builder.CloseComponent();
                break;
            default:
                // The boundary is already showing an error, so the renderer hands this on to the circuit or the request.
                ExceptionDispatchInfo.Capture(CurrentException).Throw();
                break;
        }
    }
}
