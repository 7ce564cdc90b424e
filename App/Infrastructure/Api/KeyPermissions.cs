namespace Automations.Infrastructure.Api;

/// <summary>Endpoint metadata: the key permission a call needs when it is not the default (GET: read; anything else: member).</summary>
public sealed record RequiredKeyPermission(KeyPermission Permission);

public static class KeyPermissions
{
    /// <summary>Declares what an API key must be allowed to call this endpoint; see <see cref="KeyPermissionFilter"/>.</summary>
    public static TBuilder RequiresKey<TBuilder>(this TBuilder builder, KeyPermission permission) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredKeyPermission(permission));

    /// <summary>What an endpoint needs from a key: its declaration, or read for GET and member for anything that writes.</summary>
    public static KeyPermission Needed(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RequiredKeyPermission>()?.Permission ?? Default(context.Request.Method);

    /// <summary>Reading needs read; anything that may write needs member unless the endpoint says otherwise.</summary>
    public static KeyPermission Default(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) ? KeyPermission.Read : KeyPermission.Member;
}

/// <summary>
/// Refuses, before any service runs, a call the request's API key is not allowed to make (403 naming the permission it
/// lacks). Team roles are still checked by the services, where a key's permission also caps the role
/// (<see cref="Features.Teams.TeamService"/>): this filter says what kind of call a key may make, the service whether this caller may
/// make it on this team. Default-deny for agent keys: an endpoint not declared <see cref="KeyPermission.Agent"/> refuses them.
/// </summary>
public sealed class KeyPermissionFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (KeyScope.FromPrincipal(http.User) is not { } key)
        {
            return next(context);
        }

        var needed = KeyPermissions.Needed(http);
        if (key.Allows(needed))
        {
            return next(context);
        }

        var detail = key.Permission == KeyPermission.Agent
            ? "This is an agent key: it may call only the agent endpoints (register, heartbeat, claim, status, output) of its queue."
            : $"This API key has the '{KeyScope.Name(key.Permission)}' permission; this call needs '{KeyScope.Name(needed)}'.";
        return ValueTask.FromResult<object?>(Results.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
            extensions: new Dictionary<string, object?> { ["keyPermission"] = KeyScope.Name(key.Permission), ["requiredPermission"] = KeyScope.Name(needed) }));
    }
}
