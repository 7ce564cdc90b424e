using Scalar.AspNetCore;

namespace Automations.Infrastructure.Api;

public static class OpenApiSetup
{
    public static IServiceCollection AddAppOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi("v1", options =>
        {
            // Only the REST API, not the Identity endpoints of the UI.
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Automations API";
                // In a code span: Scalar renders the description as Markdown, where a bare <API key> is an HTML tag and vanishes.
                document.Info.Description = "Authenticate with `Authorization: Bearer <API key>` (create a key under Settings → API keys). Errors are RFC 7807 problem details.";
                return Task.CompletedTask;
            });
            // Each operation says what a limited key needs for it, from the same declaration the key filter enforces.
            options.AddOperationTransformer((operation, context, _) =>
            {
                var needed = context.Description.ActionDescriptor.EndpointMetadata.OfType<RequiredKeyPermission>().FirstOrDefault()?.Permission
                    ?? KeyPermissions.Default(context.Description.HttpMethod ?? "");
                var line = $"API key permission: `{KeyScope.Name(needed)}`.";
                operation.Description = string.IsNullOrEmpty(operation.Description) ? line : $"{operation.Description}\n\n{line}";
                return Task.CompletedTask;
            });
        });
        return services;
    }

    /// <summary>
    /// /openapi/v1.json and a browsable reference at /api/docs that works offline: Scalar's fonts come from its CDN,
    /// which the Content-Security-Policy refuses (and an offline install cannot reach), so the page uses the browser's
    /// fonts; no telemetry, no buttons for Scalar's hosted client, agent or MCP services; a link back to the app.
    /// </summary>
    public static IEndpointRouteBuilder MapAppOpenApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapOpenApi();
        endpoints.MapScalarApiReference("/api/docs", options => options
            .WithTitle("Automations API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp()
            .HideClientButton()
            .AddHeaderContent("<a href=\"/\" data-testid=\"back-to-app\">← Back to Automations</a>"));
        return endpoints;
    }
}
