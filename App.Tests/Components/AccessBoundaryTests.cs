using Automations.Components.Shared;
using Automations.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using MudBlazor.Services;

namespace Automations.Tests.Components;

public class AccessBoundaryTests : BunitContext
{
    public AccessBoundaryTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    [Fact]
    public void A_page_that_lets_a_ForbiddenException_escape_shows_Forbidden_with_its_reason()
    {
        var boundary = Render<AccessBoundary>(p => p.AddChildContent<RefusingPage>());

        Assert.Equal("Forbidden", boundary.Find("[data-testid=forbidden]").TextContent);
        Assert.Contains("Only team admins can see this.", boundary.Find("[data-testid=forbidden-reason]").TextContent);
        Assert.DoesNotContain("page content", boundary.Markup);
    }

    [Fact]
    public void A_page_that_loads_shows_its_own_content()
    {
        var boundary = Render<AccessBoundary>(p => p.AddChildContent("<p>page content</p>"));

        Assert.Contains("page content", boundary.Markup);
        Assert.Empty(boundary.FindAll("[data-testid=forbidden]"));
    }

    [Fact]
    public void Any_other_error_is_not_swallowed()
    {
        var error = Assert.ThrowsAny<Exception>(() => Render<AccessBoundary>(p => p.AddChildContent<FailingPage>()));

        Assert.Contains("a bug", error.ToString());
    }

    private sealed class FailingPage : ComponentBase
    {
        protected override void OnInitialized() => throw new InvalidOperationException("a bug");
    }

    private sealed class RefusingPage : ComponentBase
    {
        protected override void OnInitialized() => throw new ForbiddenException("Only team admins can see this.");

        protected override void BuildRenderTree(Microsoft.AspNetCore.Components.Rendering.RenderTreeBuilder builder) =>
            builder.AddMarkupContent(0, "<p>page content</p>");
    }
}
