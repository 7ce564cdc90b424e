using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Automations.Data.Migrations
{
    /// <inheritdoc />
    public partial class WebhookFailureWindow : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "FailedRunsSinceFailing",
                table: "Webhooks",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "FailingSince",
                table: "Webhooks",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "FailedRunsSinceFailing",
                table: "Webhooks");

            migrationBuilder.DropColumn(
                name: "FailingSince",
                table: "Webhooks");
        }
    }
}
