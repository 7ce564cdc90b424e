using Automations.Features.ApiKeys;

namespace Automations.Infrastructure.Api;

public static class ApiEndpoints
{
    public const string Prefix = "/api/v1";
    public const string Policy = "Api";

    /// <summary>
    /// A group under /api/v1 with what every API route shares: API-key authentication, the key's permission
    /// (<see cref="KeyPermissionFilter"/>), problem-details errors, and the OpenAPI tag.
    /// </summary>
    public static RouteGroupBuilder MapApiGroup(this IEndpointRouteBuilder endpoints, string path, string tag) =>
        endpoints.MapGroup($"{Prefix}/{path.TrimStart('/')}")
            .RequireAuthorization(Policy)
            .AddEndpointFilter<KeyPermissionFilter>()
            .AddEndpointFilter<ProblemDetailsFilter>()
            .WithTags(tag)
            .DisableAntiforgery();

    public static IServiceCollection AddApiAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication()
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, policy => policy
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser());
        services.AddProblemDetails();
        services.AddApiErrors();
        // Enums travel as names ("Admin"), the way a script author writes them.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        return services;
    }
}

/// <summary>Turns the services' exceptions into RFC 7807 answers that name the field at fault.</summary>
public sealed class ProblemDetailsFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (NotFoundException ex)
        {
            return Results.Problem(ApiErrors.Detail(ex.Message), statusCode: StatusCodes.Status404NotFound, title: "Not found");
        }
        catch (ForbiddenException ex)
        {
            return Results.Problem(ApiErrors.Detail(ex.Message), statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
        }
        catch (InputException ex)
        {
            var message = ApiErrors.Detail(ex.Message);
            return Results.ValidationProblem(new Dictionary<string, string[]> { [TextRules.Shown(ex.Field)] = [message] }, message, title: "Invalid input");
        }
        catch (RateLimitedException ex)
        {
            context.HttpContext.Response.Headers.RetryAfter = Security.TooManyRequests.Seconds(ex.RetryAfter).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Problem(ex.Message, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests");
        }
        catch (ConflictException ex)
        {
            var message = ApiErrors.Detail(ex.Message);
            return Results.Problem(message, statusCode: StatusCodes.Status409Conflict, title: "Conflict",
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [TextRules.Shown(ex.Field)] = [message] } });
        }
    }
}
