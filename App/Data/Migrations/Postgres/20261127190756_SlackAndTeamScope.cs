using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Automations.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SlackAndTeamScope : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<int>(
                name: "ProjectId",
                table: "Automations",
                type: "integer",
                nullable: true,
                oldClrType: typeof(int),
                oldType: "integer");

            migrationBuilder.AddColumn<string>(
                name: "Settings",
                table: "Automations",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "TeamId",
                table: "Automations",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            // Every automation so far belongs to a project: its team is the project's.
            migrationBuilder.Sql("UPDATE \"Automations\" SET \"TeamId\" = (SELECT p.\"TeamId\" FROM \"Projects\" p WHERE p.\"Id\" = \"Automations\".\"ProjectId\");");

            migrationBuilder.CreateTable(
                name: "SlackIntegrations",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TeamId = table.Column<int>(type: "integer", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Channel = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    ProtectedCredential = table.Column<string>(type: "text", nullable: false),
                    CredentialHint = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SlackIntegrations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SlackIntegrations_Teams_TeamId",
                        column: x => x.TeamId,
                        principalTable: "Teams",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Automations_TeamId_EventType",
                table: "Automations",
                columns: new[] { "TeamId", "EventType" },
                filter: "\"DeletedAt\" IS NULL AND \"ProjectId\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Automations_TeamId_Name",
                table: "Automations",
                columns: new[] { "TeamId", "Name" },
                unique: true,
                filter: "\"DeletedAt\" IS NULL AND \"ProjectId\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_SlackIntegrations_TeamId_Name",
                table: "SlackIntegrations",
                columns: new[] { "TeamId", "Name" },
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "FK_Automations_Teams_TeamId",
                table: "Automations",
                column: "TeamId",
                principalTable: "Teams",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_Automations_Teams_TeamId",
                table: "Automations");

            migrationBuilder.DropTable(
                name: "SlackIntegrations");

            migrationBuilder.DropIndex(
                name: "IX_Automations_TeamId_EventType",
                table: "Automations");

            migrationBuilder.DropIndex(
                name: "IX_Automations_TeamId_Name",
                table: "Automations");

            migrationBuilder.DropColumn(
                name: "Settings",
                table: "Automations");

            migrationBuilder.DropColumn(
                name: "TeamId",
                table: "Automations");

            migrationBuilder.AlterColumn<int>(
                name: "ProjectId",
                table: "Automations",
                type: "integer",
                nullable: false,
                defaultValue: 0,
                oldClrType: typeof(int),
                oldType: "integer",
                oldNullable: true);
        }
    }
}
