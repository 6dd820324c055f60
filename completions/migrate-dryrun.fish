# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_migrate_dryrun_global_optspecs
    string join \n wrangler-config= env= database= migrations= table= snapshot= dump= local export-remote postgres postgres-env= schema-only strict keep= lock= update-lock timeout= save-export= record= format= config= color= v/verbose q/quiet h/help V/version
end

function __fish_migrate_dryrun_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_migrate_dryrun_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_migrate_dryrun_using_subcommand
    set -l cmd (__fish_migrate_dryrun_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l wrangler-config -d 'Wrangler config that declares the D1 binding [default: wrangler.json(c)/.toml here]' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l env -d 'Wrangler environment whose binding to use' -r
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l database -d 'D1 binding or database name [default: the only one]' -r
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l migrations -d 'Migrations directory, instead of the binding\'s migrations_dir' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l table -d 'Migrations table, instead of the binding\'s migrations_table' -r
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l snapshot -d 'Snapshot: a SQLite file (opened read-only)' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l dump -d 'Snapshot: a `wrangler d1 export` SQL dump' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l postgres-env -d 'PostgreSQL: the URL is in the environment variable NAME instead of $DATABASE_URL' -r
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l keep -d 'Keep the migrated copy at this path for inspection (never overwrites a file)' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l lock -d 'Lock file of applied migrations\' SHA-256 sums: flags files changed after they ran' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l timeout -d 'Stop a migration that runs longer than this on the copy (exit 3: not checked); D1 itself stops a query after 30 s' -r
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l save-export -d 'With --export-remote: also write the export to FILE (never overwrites), for `db-backup export --from-export FILE`: one export for the dry run and the backup' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l record -d 'Append one JSON line for this run to FILE: time, commit, deployer, env, database, migrations, verdict, the report\'s SHA-256 (`status` reads the last dry run\'s)' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l local -d 'Snapshot: wrangler\'s local state for the binding (.wrangler/state)'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l export-remote -d 'Snapshot: run `wrangler d1 export --remote` into a private temp file'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l postgres -d 'PostgreSQL (Supabase): copy the database whose postgres:// URL is in $DATABASE_URL (read-only; never on the command line), or with --dump a pg_dump / `supabase db dump` file [migrations default: supabase/migrations]'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l schema-only -d 'PostgreSQL: copy only the schema and the migration history, not the data'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l strict -d 'Lint errors fail the run'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -l update-lock -d 'Add the sums of applied migrations missing from --lock (only when the run is clean)'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -s V -l version -d 'Print version'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -f -a "list" -d 'List applied and pending migrations, like `wrangler d1 migrations list`'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -f -a "status" -d 'After the real apply: check that the migrations the last recorded dry run applied (--record FILE; else every migration file) are applied, and nothing else'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -l wrangler-config -d 'Wrangler config that declares the D1 binding [default: wrangler.json(c)/.toml here]' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -l env -d 'Wrangler environment whose binding to use' -r
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -l database -d 'D1 binding or database name [default: the only one]' -r
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -l migrations -d 'Migrations directory, instead of the binding\'s migrations_dir' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -l table -d 'Migrations table, instead of the binding\'s migrations_table' -r
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -l snapshot -d 'Snapshot: a SQLite file (opened read-only)' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -l dump -d 'Snapshot: a `wrangler d1 export` SQL dump' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -l record -d 'Append one JSON line for this run to FILE: time, commit, deployer, env, database, migrations, verdict, the report\'s SHA-256 (`status` reads the last dry run\'s)' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -l local -d 'Snapshot: wrangler\'s local state for the binding (.wrangler/state)'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -l export-remote -d 'Snapshot: run `wrangler d1 export --remote` into a private temp file'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -l wrangler-config -d 'Wrangler config that declares the D1 binding [default: wrangler.json(c)/.toml here]' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -l env -d 'Wrangler environment whose binding to use' -r
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -l database -d 'D1 binding or database name [default: the only one]' -r
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -l migrations -d 'Migrations directory, instead of the binding\'s migrations_dir' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -l table -d 'Migrations table, instead of the binding\'s migrations_table' -r
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -l snapshot -d 'Snapshot: a SQLite file (opened read-only)' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -l dump -d 'Snapshot: a `wrangler d1 export` SQL dump' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -l record -d 'Append one JSON line for this run to FILE: time, commit, deployer, env, database, migrations, verdict, the report\'s SHA-256 (`status` reads the last dry run\'s)' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -l format -d 'Output format' -r -f -a "human\t'Text for people, coloured on a terminal'
json\t'One JSON document on stdout (see docs/json-output.md)'"
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -l config -d 'bulwark.toml to use [default: found by walking up from the current directory]' -r -F
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -l color -d 'When to colour output' -r -f -a "auto\t'Colour on a terminal, unless NO_COLOR is set'
always\t'Always colour'
never\t'Never colour'"
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -l remote -d 'Read the remote database\'s migrations table (`wrangler d1 execute --remote`; no export)'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -l local -d 'Snapshot: wrangler\'s local state for the binding (.wrangler/state)'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -l export-remote -d 'Snapshot: run `wrangler d1 export --remote` into a private temp file'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -s v -l verbose -d 'Show more detail on stderr (repeat for more)'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -s q -l quiet -d 'Print only errors and warnings on stderr'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand help; and not __fish_seen_subcommand_from list status help" -f -a "list" -d 'List applied and pending migrations, like `wrangler d1 migrations list`'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand help; and not __fish_seen_subcommand_from list status help" -f -a "status" -d 'After the real apply: check that the migrations the last recorded dry run applied (--record FILE; else every migration file) are applied, and nothing else'
complete -c migrate-dryrun -n "__fish_migrate_dryrun_using_subcommand help; and not __fish_seen_subcommand_from list status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
