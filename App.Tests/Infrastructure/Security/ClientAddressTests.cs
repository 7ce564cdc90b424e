using System.Net;
using Automations.Infrastructure.Security;

namespace Automations.Tests.Infrastructure.Security;

public class ClientAddressTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("::1", "::1")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64")]
    public void Rate_limits_count_an_ipv4_address_alone_and_an_ipv6_address_by_its_64_network(string address, string key)
    {
        Assert.Equal(key, ClientAddress.Key(IPAddress.Parse(address)));
    }
}
