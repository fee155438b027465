# bash completion for shimctl(1): verbs, their options, and container ids from `shimctl list` (with the
# --state-dir and --bus given on the line so far). Installed as "shimctl" in bash-completion's
# completions directory, which loads it on first use.

_shimctl_ids() {
        local -a global=()
        local i
        for ((i = 1; i < ${#words[@]} - 1; i++)); do
                case ${words[i]} in
                --state-dir | --bus) global+=("${words[i]}" "${words[i + 1]}") ;;
                --state-dir=* | --bus=*) global+=("${words[i]}") ;;
                esac
        done
        "${words[0]}" "${global[@]}" list 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_shimctl() {
        local cur prev words cword
        _init_completion || return

        local verbs="run list status kill stop wait logs stats pause resume rm"
        local global_opts="--state-dir --bus --json --help"
        local verb="" i
        for ((i = 1; i < cword; i++)); do
                case ${words[i]} in
                --state-dir | --bus) ((i++)) ;;
                -*) ;;
                *)
                        verb=${words[i]}
                        break
                        ;;
                esac
        done

        if [[ -z $verb ]]; then
                case $prev in
                --state-dir)
                        _filedir -d
                        return
                        ;;
                --bus)
                        COMPREPLY=($(compgen -W "auto system none unix:path=" -- "$cur"))
                        [[ $COMPREPLY == *= ]] && compopt -o nospace
                        return
                        ;;
                esac
                if [[ $cur == -* ]]; then
                        COMPREPLY=($(compgen -W "$global_opts" -- "$cur"))
                else
                        COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
                fi
                return
        fi

        # The verb's own arguments: how many non-option words follow it so far.
        local nargs=0
        for ((i = i + 1; i < cword; i++)); do
                case ${words[i]} in
                --name | --bundle | --rootfs | --runtime | --runtime-arg | --hostname | --env | --user | \
                        --cwd | --mount | --tmpfs | --net | --cap-add | --cap-drop | --seccomp | --memory | \
                        --cpus | --pids-limit | --cgroup-parent | --tail | -t | --time) ((i++)) ;;
                -*) ;;
                *) ((nargs++)) ;;
                esac
        done

        case $verb in
        run)
                case $prev in
                --bundle | --rootfs | --cwd)
                        _filedir -d
                        return
                        ;;
                --runtime)
                        COMPREPLY=($(compgen -c -- "$cur"))
                        return
                        ;;
                --seccomp)
                        COMPREPLY=($(compgen -W "default unconfined" -- "$cur"))
                        _filedir
                        return
                        ;;
                --net)
                        COMPREPLY=($(compgen -W "none host" -- "$cur"))
                        return
                        ;;
                --name | --runtime-arg | --hostname | --env | --user | --mount | --tmpfs | --cap-add | \
                        --cap-drop | --memory | --cpus | --pids-limit | --cgroup-parent)
                        return
                        ;;
                esac
                COMPREPLY=($(compgen -W "--name --bundle --rootfs -d --detach --runtime --runtime-arg --help
                        --readonly --init --hostname --env --user --cwd --mount --tmpfs --net --cap-add
                        --cap-drop --seccomp --memory --cpus --pids-limit --cgroup-parent" -- "$cur"))
                return
                ;;
        list)
                COMPREPLY=()
                return
                ;;
        esac

        local opts="--help"
        case $verb in
        kill) opts="--all --help" ;;
        stop) opts="-t --time --help" ;;
        logs) opts="-f --follow --tail --help" ;;
        rm) opts="--force --ignore --help" ;;
        esac
        case $prev in
        -t | --time | --tail) return ;;
        esac
        if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        elif ((nargs == 0)); then
                COMPREPLY=($(compgen -W "$(_shimctl_ids)" -- "$cur"))
        elif [[ $verb == kill ]] && ((nargs == 1)); then
                COMPREPLY=($(compgen -W "HUP INT QUIT KILL USR1 USR2 PIPE ALRM TERM CONT STOP TSTP WINCH" \
                        -- "${cur#SIG}"))
        fi
} &&
        complete -F _shimctl shimctl
