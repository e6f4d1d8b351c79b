#[cfg(test)]
mod tests {
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::set_contract_address;
    use starknet::{ContractAddress, SyscallResultTrait};
    use super::{ITodoListDispatcher, ITodoListDispatcherTrait, TodoList};

    fn owner() -> ContractAddress {
        'owner'.try_into().unwrap()
    }

    fn deploy() -> ITodoListDispatcher {
        let (address, _) = deploy_syscall(
            TodoList::TEST_CLASS_HASH, 0, array![owner().into()].span(), false,
        )
            .unwrap_syscall();
        set_contract_address(owner());
        ITodoListDispatcher { contract_address: address }
    }

    #[test]
    fn adds_and_completes_tasks() {
        let todo = deploy();
        assert_eq!(todo.owner(), owner());
        assert_eq!(todo.add_task('buy milk'), 0);
        assert_eq!(todo.add_task('write tests'), 1);
        assert_eq!(todo.add_task('ship it'), 2);
        todo.complete(1);
        assert_eq!(todo.task_count(), 3);
        assert_eq!(todo.task(0), ('buy milk', false));
        assert_eq!(todo.task(1), ('write tests', true));
        assert_eq!(todo.open_tasks(), array!['buy milk', 'ship it']);
    }

    #[test]
    fn empty_list() {
        let todo = deploy();
        assert_eq!(todo.task_count(), 0);
        assert_eq!(todo.open_tasks(), array![]);
    }

    #[test]
    #[should_panic(expected: ('Unknown task', 'ENTRYPOINT_FAILED'))]
    fn completing_an_unknown_task_panics() {
        let todo = deploy();
        todo.add_task('only one');
        todo.complete(1);
    }

    #[test]
    #[should_panic(expected: ('Not the owner', 'ENTRYPOINT_FAILED'))]
    fn only_the_owner_adds() {
        let todo = deploy();
        set_contract_address('mallory'.try_into().unwrap());
        todo.add_task('spam');
    }
}
