using Microsoft.AspNetCore.Identity;

namespace Automations.Data;

public class ApplicationUser : IdentityUser
{
    /// <summary>The first account registered on an instance; may open the Hangfire dashboard.</summary>
    public bool IsInstanceAdmin { get; set; }
}
