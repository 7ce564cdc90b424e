using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;

namespace Automations.Infrastructure;

/// <summary>Who is calling a service. Every service method takes one and checks the team role itself.</summary>
public sealed record Actor(string UserId, string UserName, bool IsInstanceAdmin = false)
{
    public const string InstanceAdminClaim = "automations:instance_admin";

    /// <summary>The limits of the API key the caller came with; null when nothing narrows the user's own access.</summary>
    public KeyScope? Key { get; init; }

    /// <summary>
    /// Lets API endpoints take the caller as a parameter (<c>(string team, Actor actor, …) =&gt;</c>). Their group requires an
    /// authenticated caller, so it is always there; an endpoint outside such a group answers 400 without one.
    /// </summary>
    public static ValueTask<Actor?> BindAsync(HttpContext context) => ValueTask.FromResult(FromPrincipal(context.User));

    public static Actor? FromPrincipal(ClaimsPrincipal principal)
    {
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (principal.Identity?.IsAuthenticated != true || string.IsNullOrEmpty(id))
        {
            return null;
        }

        return new Actor(id, principal.Identity.Name ?? id, principal.HasClaim(InstanceAdminClaim, "true")) { Key = KeyScope.FromPrincipal(principal) };
    }
}

/// <summary>Gives components the signed-in user as an <see cref="Actor"/>.</summary>
public sealed class CurrentActor(AuthenticationStateProvider authenticationStateProvider)
{
    public async Task<Actor> GetAsync()
    {
        var state = await authenticationStateProvider.GetAuthenticationStateAsync();
        return Actor.FromPrincipal(state.User) ?? throw new NotFoundException("Sign in first.");
    }
}
