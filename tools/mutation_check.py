#!/usr/bin/env python
"""Check that the tests catch faults:  python tools/mutation_check.py [NAME ...] [--jobs 2] [--list]

Each mutation below puts one deliberate fault into one exported cell of one notebook: a sign flipped, a mean made a sum,
a seed shared, a state not restored. Each goes alone into a fresh clone: the repository as committed is cloned into a
temporary folder, the fault applied to the notebook, the library exported there, and the notebook's tests run; where they pass,
the later chapters' tests run too (00-07), with that clone's library first on PYTHONPATH, so that they and the
processes they start import the faulty library. A mutation that every test passes SURVIVED: a test is missing. One
whose text is no longer in its notebook says so: the list has fallen behind the code.

All of them (269) take about 45 minutes on 2 cores: most faults fail a test seconds into their chapter. Nothing of the repository is
changed; the clones are removed.
Exit status 1 where a mutation survived or could not be applied.
"""
import argparse, json, os, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's nbdev commands
CHAPTERS = [f'{n:02d}' for n in range(8)]  # 08 and 09 compute nothing: they show committed files

# (name, notebook, text in one of its `#| export` cells, the faulty text)
MUTATIONS = [
    ('bn_never_normalises', '00_backbone', "x_hat = (x - mean) * torch.rsqrt(var + eps)", "x_hat = x"),  # the authors' batch norm
    ('bn_fused_other_eps', '00_backbone', "training=True, eps=self.eps)", "training=True, eps=10 * self.eps)"),
    ('window_order_swapped', '00_backbone', ".movedim((-3, -1), (-4, -3)).flatten(-4)", ".movedim((-3, -1), (-3, -4)).flatten(-4)"),
    ('average_pool', '00_backbone', "TaskBatchNorm(out_channels), nn.MaxPool2d(2), nn.ReLU())", "TaskBatchNorm(out_channels), nn.AvgPool2d(2), nn.ReLU())"),
    ('bn_plain_unbiased', '00_backbone', "var = x.var((0, 2, 3), unbiased=False, keepdim=True)", "var = x.var((0, 2, 3), unbiased=True, keepdim=True)"),
    ('switch_not_restored_on_error', '00_backbone', '    try: yield\n    finally:\n        for m, b in zip(layers, before): setattr(m, attr, b)', '    yield\n    for m, b in zip(layers, before): setattr(m, attr, b)'),
    ('given_stats_ignored', '00_backbone', 'F.batch_norm(x, *self.stats, self.weight, self.bias, training=False, eps=self.eps)', 'F.batch_norm(x, *self.stats, self.weight, self.bias, training=True, eps=self.eps)'),
    ('bn_plain_per_image_mean', '00_backbone', 'mean = x.mean((0, 2, 3), keepdim=True)', 'mean = x.mean((2, 3), keepdim=True)'),
    ('pool_tie_last_wins', '00_backbone', 'for v in values[1:]: best = torch.where(v > best, v, best)', 'for v in values[1:]: best = torch.where(v >= best, v, best)'),
    ('size_check_width_only', '00_backbone', 'if min(x.shape[-2:]) < 2 ** n_blocks: raise ValueError(', 'if x.shape[-1] < 2 ** n_blocks: raise ValueError('),
    ('bool_counts_accepted', '00_backbone', 'if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < low: raise ValueError(', 'if not isinstance(v, numbers.Integral) or v < low: raise ValueError('),
    ('product_block_odd_width', '00_backbone', 'if not conv.as_product or h % 2 or w % 2: return nn.Sequential.forward(self, x)', 'if not conv.as_product or h % 2: return nn.Sequential.forward(self, x)'),
    ('channel_advice_names_model', '00_backbone', 'or build Conv4({x.shape[1]}, ...) for these', 'or build Conv4({c}, ...) for these'),
    ('product_conv_square_padding', '00_backbone', 'padding=(weight.shape[-2] // 2, weight.shape[-1] // 2))', 'padding=weight.shape[-1] // 2)'),
    ('window_check_both_odd', '00_backbone', 'if h % 2 or w % 2: raise ValueError(f"window-major', 'if h % 2 and w % 2: raise ValueError(f"window-major'),
    ('conv4_channels_unchecked', '00_backbone', "for name, v in (('in_channels', in_channels), ('hidden', hidden), ('n_blocks', n_blocks)):", "for name, v in (('hidden', hidden), ('n_blocks', n_blocks)):"),
    ('seed_bound_off_by_one', '00_backbone', 'not -2**63 <= v < 2**64:', 'not -2**63 <= v <= 2**64:'),
    ('n_features_default_dtype', '00_backbone', 'torch.zeros(1, *image_size, dtype=p.dtype, device=p.device)', 'torch.zeros(1, *image_size, device=p.device)'),
    ('seed_bool_accepted', '00_backbone', 'if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not -2**63 <= v < 2**64:', 'if not isinstance(v, numbers.Integral) or not -2**63 <= v < 2**64:'),
    ('meta_batch_advised_unsqueeze', '00_backbone', 'if x.dim() == 3 and c == 1 else', 'if c == 1 else'),
    ('task_bn_default_eps', '00_backbone', 'def __init__(self, channels:int, eps:float=1e-5):', 'def __init__(self, channels:int, eps:float=1e-3):'),
    ('inner_step_ascends', '01_maml', "p - inner_lr * grads[k] for k, p in params.items()", "p + inner_lr * grads[k] for k, p in params.items()"),
    ('second_order_is_first', '01_maml', "at = {k: p.detach() for k, p in params.items()} if first_order else params",
     "at = {k: p.detach() for k, p in params.items()}"),
    ('tasks_summed', '01_maml', "(loss / n_tasks).backward()", "loss.backward()"),
    ('query_loss_on_support', '01_maml', "return query_loss(adapted, model, x_query, y_query)", "return query_loss(adapted, model, x_support, y_support)"),
    ('recompute_steps_in_order', '01_maml', "for step in reversed(steps): meta_grad", "for step in steps: meta_grad"),  # caught by HIDRA's (02): MAML's steps are alike
    ('vmap_without_plain_norm', '01_maml', "    with plain_batch_norm(model):  # under vmap", "    with nullcontext():  # under vmap"),
    ('vmap_tasks_summed', '01_maml', "        losses.mean().backward()", "        losses.sum().backward()"),
    ('frozen_params_stepped', '01_maml', "{k: p if k in still else p - inner_lr * grads[k] for k, p in params.items()}",
     "{k: p - inner_lr * grads[k] for k, p in params.items()}"),
    ('nan_loss_stepped', '01_maml', "if not math.isfinite(out['loss']): raise NonFiniteLoss(", "if False: raise NonFiniteLoss("),
    ('nan_gradient_stepped', '01_maml', "if grads and not torch.cat(grads).isfinite().all(): raise NonFiniteLoss(", "if False: raise NonFiniteLoss("),
    ('vmap_thought_exact', '01_maml', "return first_order or inner_steps == 0 or not any(isinstance(m, FUSED_NORMS) for m in model.modules())", "return True"),
    ('closed_form_every_step', '01_maml', "first_step if i == 0 and first_step is not None else sgd_step", "first_step if first_step is not None else sgd_step"),
    ('by_task_tasks_summed', '01_maml', '[total[k] / len(tasks) for k in trained]', '[total[k] for k in trained]'),
    ('recompute_query_at_kept_start', '01_maml', 'meta_grad, (loss, acc) = query_grad_at(starts.pop(), model, x_query, y_query)', 'meta_grad, (loss, acc) = query_grad_at(starts[-1], model, x_query, y_query)'),
    ('recompute_dropout_unchecked', '01_maml', '    check_no_randomness(model)\n    return meta_backward_by_task(', '    return meta_backward_by_task('),
    ('threads_not_restored', '01_maml', 'pool.shutdown(cancel_futures=True)\n        torch.set_num_threads(saved)', 'pool.shutdown(cancel_futures=True)'),
    ('task_missing_class_accepted', '01_maml', 'if (counts == 0).any():', 'if (counts == 0).all():'),
    ('extra_outputs_accepted', '01_maml', '    if n_out != n_classes:\n', '    if n_out < n_classes:\n'),
    ('auto_vmap_on_cpu', '01_maml', "driver = 'vmap' if batch[0].is_cuda and vmap_is_exact(model, first_order, inner_steps) else 'loop'", "driver = 'vmap' if vmap_is_exact(model, first_order, inner_steps) else 'loop'"),
    ('one_class_task_accepted', '01_maml', 'if n_classes < 2: _fail(', 'if n_classes < 1: _fail('),
    ('frozen_zero_steps_rejected', '01_maml', 'if steps and not trainable(model): _fail(', 'if not trainable(model): _fail('),
    ('partial_optimiser_rejected', '01_maml', 'if (ours := trainable(model)) and not any(id(p) in held for p in ours): _fail(', 'if (ours := trainable(model)) and not all(id(p) in held for p in ours): _fail('),
    ('eval_norm_rejected', '01_maml', 'if isinstance(m, nn.modules.batchnorm._NormBase) and m.training and m.track_running_stats]', 'if isinstance(m, nn.modules.batchnorm._NormBase) and m.track_running_stats]'),
    ('inference_query_unchecked', '01_maml', 'for x in batch[::2]): _fail(', 'for x in batch[:1]): _fail('),
    ('negative_query_label_accepted', '01_maml', 'if min(ys.min(), yq.min()) < 0: _fail(', 'if ys.min() < 0: _fail('),
    ('zero_dropout_refused', '01_maml', 'm.training and m.p > 0', 'm.training'),
    ('cpu_oom_blamed_on_model', '01_maml', "if isinstance(e, torch.OutOfMemoryError) or 'allocate' in str(e): raise", 'if isinstance(e, torch.OutOfMemoryError): raise'),
    ('maml_step_grads_accumulate', '01_maml', '    opt.zero_grad()\n    out = maml_backward(', '    out = maml_backward('),
    ('query_example_shape_unchecked', '01_maml', 'if xs.shape[0] != xq.shape[0] or xs.shape[2:] != xq.shape[2:]:', 'if xs.shape[0] != xq.shape[0]:'),
    ('empty_support_unnamed', '01_maml', 'if ys.numel() == 0 or yq.numel() == 0:', 'if yq.numel() == 0:'),
    ('rate_bool_accepted', '01_maml', 'if isinstance(v, bool) or not isinstance(v, numbers.Real)', 'if not isinstance(v, numbers.Real)'),
    ('dropout2d_unnamed', '01_maml', 'isinstance(m, nn.modules.dropout._DropoutNd)', 'isinstance(m, nn.Dropout)'),
    ('instance_norm_running_stats_unnamed', '01_maml', 'isinstance(m, nn.modules.batchnorm._NormBase)', 'isinstance(m, nn.modules.batchnorm._BatchNorm)'),
    ('zero_steps_vmap_refused', '01_maml', 'return first_order or inner_steps == 0 or not any(', 'return first_order or not any('),
    ('accuracy_negative_lr_accepted', '01_maml', "check_whole_number('steps', steps, 0); check_rate('inner_lr', inner_lr); check_adapts(model, steps)", "check_whole_number('steps', steps, 0); check_adapts(model, steps)"),
    ('closed_form_sign', '02_core', "dloss_dlogits = (1 / n_classes - one_hot) / len(y)", "dloss_dlogits = (one_hot - 1 / n_classes) / len(y)"),
    ('rows_summed', '02_core', "p.grad.div_(n_classes)", "p.grad.div_(1)"),
    ('backward_unscaled', '02_core', "p.grad.mul_(weight)", "p.grad.mul_(1.0)"),
    ('groups_weighted_alike', '02_core', "share = [len(g[0]) / n_tasks for g in groups]", "share = [1 / len(groups) for g in groups]"),
    ('closed_form_second_order_at_first', '02_core', "torch.set_grad_enabled(torch.is_grad_enabled() and not first_order)", "torch.set_grad_enabled(torch.is_grad_enabled())"),
    ('forward_drops_bias', '02_core', "self.master.bias.expand(n_classes)  # (1, F) -> (C, F)", "0 * self.master.bias.expand(n_classes)  # (1, F) -> (C, F)"),
    ('copied_rows_lose_bias', '02_core', "head.bias.copy_(master.bias.expand(n_classes))", "head.bias.zero_()"),
    ('accuracy_before_steps', '02_core', "first_step=first_step)[-1]\n                        for task in zip(*batch)]", "first_step=first_step)[0]\n                        for task in zip(*batch)]"),
    ('frozen_master_unnamed', '02_core', "if steps and not model.master.weight.requires_grad: raise", "if False: raise"),
    ('closed_form_bias_still', '02_core', "'master.bias': params['master.bias'] - inner_lr * dloss_dlogits.sum(0)}", "'master.bias': params['master.bias']}"),
    ('closed_form_features_detached', '02_core', "params['master.weight'] - inner_lr * dloss_dlogits.T @ features,", "params['master.weight'] - inner_lr * dloss_dlogits.T @ features.detach(),"),
    ('held_grad_overwritten', '02_core', 'if h is not None: p.grad = h if p.grad is None else p.grad.add_(h)', 'if h is not None and p.grad is None: p.grad = h'),
    ('adapted_params_shared', '02_core', 'start = {k: v.detach().clone() for k, v in replicate_master(self, n_classes).items()}', 'start = {k: v.detach() for k, v in replicate_master(self, n_classes).items()}'),
    ('mixed_metrics_unweighted', '02_core', "return {k: sum(w * float(o[k]) for w, o in zip(share, outs)) for k in ('loss', 'acc')}", "return {k: sum(float(o[k]) for o in outs) / len(outs) for k in ('loss', 'acc')}"),
    ('closed_form_for_own_forward', '02_core', 'return hidra_first_step if isinstance(model, Hidra) and type(model).forward is Hidra.forward else None', 'return hidra_first_step if isinstance(model, Hidra) else None'),
    ('failed_backward_loses_grad', '02_core', '        for p, h in zip(model.parameters(), held): p.grad = h  # a backward pass that fails adds nothing, and loses nothing held\n        raise', '        raise'),
    ('hidra_zero_lr_accepted', '02_core', 'if inner_steps == 0 or inner_lr == 0: raise ValueError(', 'if inner_steps == 0: raise ValueError('),
    ('closed_form_moves_frozen', '02_core', "    still = frozen(model)  # a frozen master's rows stay, as in `sgd_step`", "    still = set()  # a frozen master's rows stay, as in `sgd_step`"),
    ('interrupt_loses_held_grad', '02_core', 'except BaseException:', 'except Exception:'),
    ('predict_backbone_unchecked', '02_core', 'if missing := [k for k, _ in self.named_parameters() if k not in params]:', "if missing := [k for k in ('master.weight', 'master.bias') if k not in params]:"),
    ('eval_support_nan_unchecked', '02_core', "check_finite('x_support', batch[0]); check_finite('x_query', batch[2])", "check_finite('x_query', batch[2])"),
    ('frozen_master_refused_at_zero_steps', '02_core', 'if steps and not model.master.weight.requires_grad', 'if not model.master.weight.requires_grad'),
    ('hidra_step_grads_accumulate', '02_core', '    opt.zero_grad()\n    out = hidra_backward(', '    out = hidra_backward('),
    ('hidra_nan_loss_stepped', '02_core', '    check_optimiser(opt, model)\n    return step_if_finite(opt, out)', '    check_optimiser(opt, model)\n    opt.step()\n    return out'),
    ('queries_overlap_support', '03_data', "gather(images[..., K:])", "gather(images[..., :self.queries])"),
    ('classes_repeat_in_task', '03_data', "torch.rand(tasks, self.ds.n_classes, generator=g).topk(n, dim=1).indices", "torch.randint(self.ds.n_classes, (tasks, n), generator=g)"),
    ('every_task_same_classes', '03_data', "torch.rand(tasks, self.ds.n_classes, generator=g).topk(n, dim=1).indices", "torch.rand(1, self.ds.n_classes, generator=g).topk(n, dim=1).indices.expand(tasks, -1)"),
    ('split_leaks_a_class', '03_data', "test=perm[n_train:])", "test=perm[n_train - 1:])"),
    ('sampler_step_not_restored', '03_data', "self.seed, self.step = sd['seed'], sd['step']", "self.seed = sd['seed']"),
    ('every_batch_one_plan', '03_data', "manual_seed(derive_seed(self.seed, i))", "manual_seed(derive_seed(self.seed, 0))"),
    ('mixed_groups_one_key', '03_data', "self.batch((self.step, n), n, tasks)", "self.batch(self.step, n, tasks)"),
    ('glyph_splits_one_world', '03_data', "derive_seed('glyphs', split, seed)", "derive_seed('glyphs', 'train', seed)"),
    ('write_not_synced', '03_data', "f.flush(); os.fsync(f.fileno())", "f.flush()"),
    ('cache_loads_code', '03_data', "try: d = torch.load(p, weights_only=True)", "try: d = torch.load(p, weights_only=False)"),
    ('cache_served_unchecked', '03_data', "if d.pop('contents_sha1') == contents_sha1(d): return d, p, True",
     "d.pop('contents_sha1'); return d, p, True"),
    ('val_from_train', '03_data', "val=perm[n_train - n_val:n_train]", "val=perm[:n_val]"),
    ('ink_not_inverted', '03_data', "return level_ground(255 - images) if ink else images", "return level_ground(images) if ink else images"),
    ('rotations_one_angle', '03_data', "torch.stack([ds.images.rot90(k, dims=(-2, -1)) for k in range(4)], 1)", "torch.stack([ds.images.rot90(min(k, 1), dims=(-2, -1)) for k in range(4)], 1)"),
    ('per_class_last_images', '03_data', "for ps in listing.values() for p in ps[:n]]", "for ps in listing.values() for p in ps[-n:]]"),
    ('seed_parts_unordered', '03_data', "repr(_plain(parts))", "repr(sorted(map(str, _plain(parts))))"),
    ('too_few_classes_drawn', '03_data', "    if n > ds.n_classes:\n", "    if n > ds.n_classes + 1:\n"),
    ('std_multiplies', '03_data', ".div_(torch.tensor(self.std, **per_channel).view(-1, 1, 1))", ".mul_(torch.tensor(self.std, **per_channel).view(-1, 1, 1))"),
    ('normalise_ignores_std', '03_data', 'if self.mean == (0.,) * len(self.mean) and self.std == (1.,) * len(self.std): return x', 'if self.mean == (0.,) * len(self.mean): return x'),
    ('mini_repeats_unsorted', '03_data', 'names = sorted(p.name for ps in listing.values() for p in ps)', 'names = [p.name for ps in listing.values() for p in ps]'),
    ('split_overlap_only_next', '03_data', 'seen.update(dict.fromkeys(classes, s))', 'seen = dict.fromkeys(classes, s)'),
    ('folder_cache_counts_images', '03_data', '[_file_stamp(p) for p in paths]', 'len(paths)'),
    ('glyph_names_without_seed', '03_data', "f'glyph-{split}-seed{seed}-{i}of{n}'", "f'glyph-{split}-{i}of{n}'"),
    ('zero_std_accepted', '03_data', 'if not all(math.isfinite(s) and s > 0 for s in std): raise ValueError(', 'if not all(math.isfinite(s) and s >= 0 for s in std): raise ValueError('),
    ('cache_files_private', '03_data', '        umask = os.umask(0); os.umask(umask)\n        os.chmod(tmp, 0o666 & ~umask)', '        umask = os.umask(0); os.umask(umask)'),
    ('cache_refresh_ignored', '03_data', 'for p in ([] if refresh else places):', 'for p in places:'),
    ('one_class_folder_accepted', '03_data', 'if len(listing) < 2: raise ValueError(', 'if len(listing) < 1: raise ValueError('),
    ('linked_image_counted_twice', '03_data', 'for p in found: first.setdefault(os.path.realpath(p), p)', 'for p in found: first.setdefault(p, p)'),
    ('save_into_full_folder', '03_data', 'if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):', 'if folder.exists() and not folder.is_dir():'),
    ('extra_class_names_accepted', '03_data', 'if len(classes) != len(images): raise ValueError(', 'if len(classes) < len(images): raise ValueError('),
    ('negative_mean_accepted', '03_data', 'if not all(0 <= m <= 1 for m in mean): raise ValueError(', 'if not all(m <= 1 for m in mean): raise ValueError('),
    ('ways_override_range_taken', '03_data', 'if more: raise ValueError(', 'if False: raise ValueError('),
    ('file_root_said_missing', '03_data', "'' if p.is_dir() else ' (a file, not a folder: give the folder that holds it)' if p.exists() else ' (the folder does not exist)'", "'' if p.is_dir() else ' (the folder does not exist)'"),
    ('upper_case_image_refused', '03_data', 'elif p.suffix.lower() not in IMAGE_EXTS: raise ValueError(', 'elif p.suffix not in IMAGE_EXTS: raise ValueError('),
    ('one_flat_channel_warned', '03_data', '(per_channel.amin(-1) == per_channel.amax(-1)).all(-1)', '(per_channel.amin(-1) == per_channel.amax(-1)).any(-1)'),
    ('omniglot_split_seed_dropped', '03_data', "if name == 'omniglot': return load_omniglot(split, root, split_seed=split_seed, **kwargs)", "if name == 'omniglot': return load_omniglot(split, root, **kwargs)"),
    ('omniglot_cache_ignores_counts', '03_data', 'stamp = hashlib.sha1(repr([1, size, check_counts] + [source_stamp(p) for p in sources.values()]).encode()).hexdigest()', 'stamp = hashlib.sha1(repr([1, size] + [source_stamp(p) for p in sources.values()]).encode()).hexdigest()'),
    ('class_rename_same_stamp', '03_data', 'repr([(s, c, [_file_stamp(p) for p in paths])', 'repr([(s, [_file_stamp(p) for p in paths])'),
    ('subset_drops_source', '03_data', '    out.source = self.source\n    return out', '    return out'),
    ('failed_write_leaves_tmp', '03_data', 'Path(tmp).unlink(missing_ok=True); raise', 'raise'),
    ('palette_transparency_ignored', '03_data', "if 'A' in im.getbands() or 'transparency' in im.info:", "if 'A' in im.getbands():"),
    ('zip_wins_over_folder', '03_data', "found = {s: base / s if (base / s).is_dir() else base / f'{s}.zip' for s in OMNIGLOT_SETS", "found = {s: base / f'{s}.zip' if (base / f'{s}.zip').is_file() else base / s for s in OMNIGLOT_SETS"),
    ('one_omniglot_set_accepted', '03_data', '    if len(found) < len(OMNIGLOT_SETS):\n', '    if not found:\n'),
    ('zip_damage_advice_lost', '03_data', 'fix = "the zip is damaged: fetch it again" if source.suffix == \'.zip\' else', 'fix = "the zip is damaged: fetch it again" if source.suffix == \'zip\' else'),
    ('two_classes_said_too_few', '03_data', 'if ds.n_classes >= 2 else "too few for any task, which needs 2"', 'if ds.n_classes > 2 else "too few for any task, which needs 2"'),
    ('flat_warning_names_wrong_image', '03_data', 'warn_flat(images, [p for ps in listing.values() for p in ps[:images.shape[1]]], f"of {folder}")', 'warn_flat(images, [p for ps in listing.values() for p in ps], f"of {folder}")'),
    ('hidra_data_tilde_kept', '03_data', "if os.environ.get('HIDRA_DATA'): return Path(os.environ['HIDRA_DATA']).expanduser()", "if os.environ.get('HIDRA_DATA'): return Path(os.environ['HIDRA_DATA'])"),
    ('two_means_for_rgb_accepted', '03_data', 'if len(per_channel) not in (1, channels): raise ValueError(', 'if len(per_channel) > channels: raise ValueError('),
    ('sampler_queries_not_saved', '03_data', 'ways=self.ways, shots=self.shots, queries=self.queries,', 'ways=self.ways, shots=self.shots,'),
    ('hidden_subfolders_read', '03_data', 'subs[:] = sorted(s for s in subs if not s.startswith(NOT_CLASSES))', 'subs[:] = sorted(subs)'),
    ('no_test_classes_accepted', '03_data', 'if not n_train < n_classes: raise ValueError(', 'if n_train > n_classes: raise ValueError('),
    ('device_none_raw_error', '03_data', 'except (RuntimeError, TypeError): raise ValueError(f"device=', 'except RuntimeError: raise ValueError(f"device='),
    ('offimage_points_inked', '03_data', '* used[..., None] * (pts.abs() <= 1).all(-1)', '* used[..., None] * (pts.abs() <= 1).any(-1)'),
    ('rng_not_restored', '04_training', "    torch.set_rng_state(rng['torch'])\n", "    pass\n"),
    ('adam_state_not_saved', '04_training', "'opt': self.opt.state_dict(),", "'opt': type(self.opt)(self.model.parameters(), self.cfg.outer_lr).state_dict(),"),
    ('resume_from_zero', '04_training', "self.iteration, self._half_stepped = sd['iteration'], False", "self.iteration, self._half_stepped = 0, False"),
    ('seed_changes_on_resume', '04_training', "PER_SESSION = ('iters',", "PER_SESSION = ('seed', 'iters',"),
    ('gradients_summed_over_processes', '04_training', "flat[:-len(params)] / dist.get_world_size(),", "flat[:-len(params)] / 1,"),
    ('metrics_summed_over_processes', '04_training', "(all_reduce_kept(t) / dist.get_world_size()).tolist()", "all_reduce_kept(t).tolist()"),
    ('shards_overlap', '04_training', "first = (rank - start) % world", "first = rank % world"),
    ('omniglot_preset_lr', '04_training', "'omniglot': dict(hidden=64, inner_lr=0.4,", "'omniglot': dict(hidden=64, inner_lr=0.04,"),
    ('miniimagenet_preset_steps', '04_training', "'miniimagenet': dict(hidden=32, inner_lr=0.01, inner_steps=5,", "'miniimagenet': dict(hidden=32, inner_lr=0.01, inner_steps=1,"),
    ('checkpoint_loads_code', '04_training', "ckpt = torch.load(path, map_location='cpu', weights_only=True)", "ckpt = torch.load(path, map_location='cpu', weights_only=False)"),
    ('other_writer_unseen', '04_training', "if (found := file_stamp(ckpt)) is None or found == self._checkpoint_seen: return", "return"),
    ('checkpoint_not_atomic', '04_training', "save_atomic(self.state_dict(), path := self.out / 'checkpoint.pt')", "torch.save(self.state_dict(), path := self.out / 'checkpoint.pt')"),
    ('inner_lr_changed_on_resume', '04_training', "PER_SESSION = ('iters', 'device',", "PER_SESSION = ('iters', 'inner_lr', 'device',"),
    ('slowest_driver_kept', '04_training', "return min(seconds, key=seconds.get), seconds", "return max(seconds, key=seconds.get), seconds"),
    ('driver_timed_cold', '04_training', "            step(driver)\n            seconds[driver]", "            seconds[driver]"),
    ('validation_batches_weighted_alike', '04_training', "return sum(a * n for a, n in zip(accs, sizes)) / self.cfg.val_tasks", "return sum(accs) / len(accs)"),
    ('validation_at_training_steps', '04_training', "inner_steps=self.cfg.test_inner_steps)\n            for i, n", "inner_steps=self.cfg.inner_steps)\n            for i, n"),
    ('mixed_ways_ignored', '04_training', "batch = self.sampler.sample_mixed() if self.cfg.mixed_ways else self.sampler.sample()", "batch = self.sampler.sample()"),
    ('second_ctrl_c_ignored', '04_training', "if asked and signum == signal.SIGINT: raise KeyboardInterrupt", "if False: raise KeyboardInterrupt"),
    ('last_iteration_not_due', '04_training', "return self.iteration % every == 0 or self.iteration == self.cfg.iters", "return self.iteration % every == 0"),
    ('metrics_kept_past_checkpoint', '04_training', "lines = [l for l, r in zip(lines, rows) if r['iter'] <= iteration]", "lines = list(lines)"),
    ('uneven_tasks_split', '04_training', "if n_tasks % world: raise ValueError(", "if False: raise ValueError("),
    ('weights_loaded_leniently', '04_training', "try: model.load_state_dict(weights)", "try: model.load_state_dict(weights, strict=False)"),
    ('data_root_kept_relative', '04_training', 'cfg.data_root = os.path.abspath(os.path.expanduser(cfg.data_root))', 'cfg.data_root = os.path.expanduser(cfg.data_root)'),
    ('user_config_json_replaced', '04_training', "if (out / 'config.json').exists() and not folder_settings(out): theirs = ['config.json', *theirs]", "if False: theirs = ['config.json', *theirs]"),
    ('torn_metrics_line_fatal', '04_training', 'if rows and rows[-1] is None: lines, rows = lines[:-1], rows[:-1]', 'if False: lines, rows = lines[:-1], rows[:-1]'),
    ('failed_step_skips_batch', '04_training', '        if not self._half_stepped: self.sampler.step = drawn\n', '        pass\n'),
    ('resume_on_other_images', '04_training', "if sd['data']['train'] != self.train_data.info: raise ValueError(", 'if False: raise ValueError('),
    ('ways_spelling_clashes', '04_training', "same = lambda k, a, b: parse_ways(a) == parse_ways(b) if k == 'ways' else a == b", 'same = lambda k, a, b: a == b'),
    ('lost_checkpoint_claimed_early', '04_training', 'if isinstance(every, int) and last > every:', 'if isinstance(every, int) and last >= every:'),
    ('user_config_taken_for_run', '04_training', "'method' in settings and set(settings) <= SETTINGS else {}", "'method' in settings else {}"),
    ('moved_data_root_ignored', '04_training', '    root = root or cfg.data_root\n', '    root = cfg.data_root\n'),
    ('negative_iteration_accepted', '04_training', 'iteration=lambda v: type(v) is int and v >= 0,', 'iteration=lambda v: isinstance(v, int),'),
    ('stop_without_checkpoint', '04_training', 'if stop or self.due(cfg.ckpt_every): self.save(); saved = self.iteration', 'if self.due(cfg.ckpt_every): self.save(); saved = self.iteration'),
    ('linked_split_run_folder_accepted', '04_training', 'out_at.is_relative_to((root / s).resolve())', 'out_at.is_relative_to(root / s)'),
    ('mixed_ways_text_accepted', '04_training', "SEEDS, SWITCHES = ('seed', 'split_seed'), ('first_order', 'mixed_ways')", "SEEDS, SWITCHES = ('seed', 'split_seed'), ('first_order',)"),
    ('torn_write_blocks_new_run', '04_training', "if p.name not in ours and not p.name.endswith('.tmp') and not p.name.startswith('.')", "if p.name not in ours and not p.name.startswith('.')"),
    ('first_session_counts_as_resumed', '04_training', "if s['first_iter'] > 1]", "if s['first_iter'] >= 1]"),
    ('resumed_stop_claims_no_checkpoint', '04_training', "saved = self.iteration if self.out and (self.out / 'checkpoint.pt').exists() else None", 'saved = None'),
    ('compile_threshold_exclusive', '04_training', "if cfg.iters >= COMPILE_PAYS_OFF else ('loop',)", "if cfg.iters > COMPILE_PAYS_OFF else ('loop',)"),
    ('no_val_warned_without_validation', '04_training', "if cfg.val_every and cfg.dataset == 'folder' and self.val_data is None and self.rank == 0:", "if cfg.dataset == 'folder' and self.val_data is None and self.rank == 0:"),
    ('nonfinite_leaves_half_stepped', '04_training', 'self.sampler.step, self._half_stepped = drawn, False', 'self.sampler.step = drawn'),
    ('damaged_part_raw_keyerror', '04_training', 'except (ValueError, RuntimeError, TypeError, KeyError, IndexError) as e:', 'except (ValueError, RuntimeError) as e:'),
    ('stop_on_last_iteration_reported', '04_training', 'if stop and self.iteration < cfg.iters:', 'if stop:'),
    ('folderless_interrupt_names_none', '04_training', 'if isinstance(e, TrainingStopped) or not self.out: raise', 'if isinstance(e, TrainingStopped): raise'),
    ('finished_fit_rewrites_config', '04_training', 'if metrics and self.iteration < cfg.iters: _write_config(self.out, cfg)', 'if metrics: _write_config(self.out, cfg)'),
    ('unknown_setting_checkpoint_accepted', '04_training', 'if missing or unknown: raise ValueError(', 'if missing: raise ValueError('),
    ('json_list_row_crashes', '04_training', 'return row if isinstance(row, dict) and isinstance(row.get(key), int) else None', 'return row if isinstance(row.get(key), int) else None'),
    ('blank_metrics_line_fatal', '04_training', 'try: return [l for l in path.read_text().splitlines() if l.strip()]', 'try: return path.read_text().splitlines()'),
    ('copied_checkpoint_opened', '04_training', '    check_one_run(out, stored)\n    if cfg is not None:', '    if cfg is not None:'),
    ('unlockable_folder_refused', '04_training', "        try: free = _try_flock(f, fcntl.LOCK_SH)  # a trainer's exclusive lock refuses even a shared one\n        except OSError: return None  # a file system that cannot lock: `training_lock` says so\n", "        free = _try_flock(f, fcntl.LOCK_SH)  # a trainer's exclusive lock refuses even a shared one\n"),
    ('resumed_bar_from_zero', '04_training', 'self.bar = tqdm(total=total, initial=done,', 'self.bar = tqdm(total=total,'),
    ('omniglot_no_val_counts_as_val', '04_training', 'if holds_out_val(cfg.dataset): return cfg.val_classes > 0', 'if holds_out_val(cfg.dataset): return cfg.val_classes >= 0'),
    ('busy_holder_unnamed', '04_training', "lock.seek(0); return lock.read().strip() or 'another process'", 'lock.seek(0); return lock.read().strip()'),
    ('interval_normal_not_t', '05_evaluation', "(t_factor(len(x) - 1) * x.std()", "(1.96 * x.std()"),
    ('one_seed_every_n', '05_evaluation', "seed=seed + n, device=device,", "seed=seed, device=device,"),
    ('held_n_measured_again', '05_evaluation', "for n in parse_ways(ways) if n not in {r['N'] for r in rows}]", "for n in parse_ways(ways)]"),
    ('compared_on_other_tasks', '05_evaluation', "a, b = (task_accuracies(m, dataset, n, **drawn, seed=seed, device=device, bar=bar) for m in (model, other))",
     "a, b = (task_accuracies(m, dataset, n, **drawn, seed=seed + i, device=device, bar=bar) for i, m in enumerate((model, other)))"),
    ('difference_reversed', '05_evaluation', "summary_rows(n, a - b, 'diff')", "summary_rows(n, b - a, 'diff')"),
    ('softmax_over_images', '05_evaluation', "for part in images.split(256)]).softmax(-1)", "for part in images.split(256)]).softmax(0)"),
    ('classify_each_batch_own_stats', '05_evaluation', "    with torch.no_grad(), support_statistics(model, params, xs):\n        return", "    with torch.no_grad():\n        return"),
    ('t_with_n_degrees', '05_evaluation', "(t_factor(len(x) - 1) * x.std()", "(t_factor(len(x)) * x.std()"),
    ('maml_at_any_n', '05_evaluation', "if any(n != n_out for n in ways):", "if False:"),
    ('made_unchecked', '05_evaluation', "        if differ := {k: (r.get(k), expected.get(k)) for k in keys if r.get(k) != expected.get(k)}:", "        if differ := {}:"),
    ('fingerprint_blind_to_values', '05_evaluation', "h.update(t.detach().cpu().reshape(-1).contiguous().view(torch.uint8).numpy().tobytes())", "h.update(b'')"),
    ('transplant_first_neuron', '05_evaluation', "head.weight.copy_(head.weight[k].expand_as(head.weight))", "head.weight.copy_(head.weight[0].expand_as(head.weight))"),
    ('eval_at_training_steps', '05_evaluation', "steps=cfg.test_inner_steps,", "steps=cfg.inner_steps,"),
    ('one_task_interval_zero', '05_evaluation', "if len(x) < 2: return x.mean().item(), float('nan')", 'if len(x) < 2: return x.mean().item(), 0.'),
    ('t_series_extra_term', '05_evaluation', 'for k in range(1, df // 2): term', 'for k in range(1, df // 2 + 1): term'),
    ('tasks_past_n_kept', '05_evaluation', 'return torch.stack(accs[:n_tasks])', 'return torch.stack(accs)'),
    ('results_file_drops_other_names', '05_evaluation', 'if write: write_results(held, path)', 'if write: write_results({name: rows}, path)'),
    ('extra_recorded_setting_ignored', '05_evaluation', 'keys = [*expected, *(k for k in r if k not in expected and k not in RESULT_COLUMNS)]', 'keys = [*expected]'),
    ('classify_labels_interleaved', '05_evaluation', 'ys = torch.arange(support.n_classes, device=device).repeat_interleave(support.n_per_class)', 'ys = torch.arange(support.n_classes, device=device).repeat(support.n_per_class)'),
    ('transplant_keeps_bias', '05_evaluation', '        if head.bias is not None: head.bias.fill_(head.bias[k].item())\n', ''),
    ('support_stats_unbiased', '05_evaluation', 'support_stats[layer] = (x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=False))', 'support_stats[layer] = (x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=True))'),
    ('t_one_df_extra_term', '05_evaluation', 'return 2 / math.pi * (theta + (s * c * total if df > 1 else 0.))', 'return 2 / math.pi * (theta + s * c * total)'),
    ('duplicate_step_rows_accepted', '05_evaluation', "if (held := sorted(r['step'] for r in rows if r['N'] == n)) != list(range(steps + 1)): raise ValueError(", "if (held := sorted({r['step'] for r in rows if r['N'] == n})) != list(range(steps + 1)): raise ValueError("),
    ('eval_frozen_master_unnamed', '05_evaluation', '        if isinstance(m, Hidra): check_rows_move(m, steps)\n', ''),
    ('ink_warning_needs_all', '05_evaluation', 'if inky.any(): warnings.warn(', 'if inky.all(): warnings.warn('),
    ('output_layer_first_linear', '05_evaluation', 'return linears[-1]', 'return linears[0]'),
    ('classify_zero_lr_accepted', '05_evaluation', 'if not (inner_steps and inner_lr): raise ValueError(', 'if not inner_steps: raise ValueError('),
    ('maml_adapt_to_shares_weights', '05_evaluation', 'start = {k: v.detach().clone() for k, v in initial_params(model, task).items()}', 'start = {k: v.detach() for k, v in initial_params(model, task).items()}'),
    ('ink_warning_names_first_drawing', '05_evaluation', 'e.g. {names[int(inky.nonzero()[0])]}', 'e.g. {names[0]}'),
    ('ink_warned_for_grey_photos', '05_evaluation', "    if reading['ink']:\n        warn_mostly_ink(", "    if reading['channels'] == 1:\n        warn_mostly_ink("),
    ('checkpoint_refused_while_training', '05_evaluation', 'if not path.exists() and path.parent.is_dir() and (holder := trainer_in(path.parent)): raise FileNotFoundError(', 'if path.parent.is_dir() and (holder := trainer_in(path.parent)): raise FileNotFoundError('),
    ('by_batch_tasks_not_seeded_by_n', '05_evaluation', 'tasks=1, seed=seed + ways,', 'tasks=1, seed=seed,'),
    ('head_scale_not_centred', '05_evaluation', 'vmin=-w.abs().max(), vmax=w.abs().max()', 'vmin=w.min(), vmax=w.max()'),
    ('eval_ways_short_of_classes', '06_cli', "n <= test_classes]", "n < test_classes]"),
    ('eval_options_ignored', '06_cli', "{k: v if getattr(args, k) is None else getattr(args, k) for k, v in eval_settings(cfg).items()}",
     "{k: v for k, v in eval_settings(cfg).items()}"),
    ('classify_least_likely', '06_cli', "best, classes = scores.argmax(-1).tolist()", "best, classes = scores.argmin(-1).tolist()"),
    ('demo_untrained_unseeded', '06_cli', "    torch.manual_seed(cfg.seed)\n", ""),
    ('compare_blind_to_other_weights', '06_cli', "other_weights=weights_fingerprint(other),", ""),
    ('interrupt_exits_zero', '06_cli', "        sys.exit(130)", "        sys.exit(0)"),
    ('user_picture_replaced', '06_cli', "if picture.exists() and not drawn_by_hidra_nb(picture) and not holds_results(path): raise", "if False: raise"),
    ('demo_ways_narrowed', '06_cli', "make_config('glyphs', ways='2-10', iters=iters,", "make_config('glyphs', ways='2-5', iters=iters,"),
    ('switch_flags_default_false', '06_cli', "action='store_true', default=None, help=_HELP[f.name])", "action='store_true', default=False, help=_HELP[f.name])"),
    ('classify_at_test_steps', '06_cli', 'steps = cfg.inner_steps if args.steps is None else args.steps', 'steps = cfg.test_inner_steps if args.steps is None else args.steps'),
    ('csv_replaces_user_file', '06_cli', 'if path.exists() or path.is_symlink(): raise FileExistsError(', 'if path.is_symlink(): raise FileExistsError('),
    ('compare_adapts_other_unsaid', '06_cli', 'if differ := [k for k in settings[0] if settings[0][k] != settings[1][k]]: raise ValueError(', 'if differ := []: raise ValueError('),
    ('os_error_traceback', '06_cli', 'except (ValueError, OSError, NonFiniteLoss, CompilerUnavailable) as e:', 'except (ValueError, NonFiniteLoss, CompilerUnavailable) as e:'),
    ('results_name_with_folder', '06_cli', "if not name or name.startswith('.') or Path(name).name != name or Path(name).suffix", "if not name or name.startswith('.') or Path(name).suffix"),
    ('made_hint_gives_asked_value', '06_cli', "for k, (there, _) in e.differ.items() if k not in {*weights, 'data'})", "for k, (_, there) in e.differ.items() if k not in {*weights, 'data'})"),
    ('read_only_run_not_measured', '06_cli', 'saving = writable(path.parent)  # a run shared read-only', 'saving = True  # a run shared read-only'),
    ('compare_other_classes_accepted', '06_cli', 'if test_data.classes != other_test.classes: raise ValueError(', 'if len(test_data.classes) != len(other_test.classes): raise ValueError('),
    ('csv_read_only_folder_unchecked', '06_cli', 'if not writable(path.parent): raise PermissionError(', 'if not path.parent.is_dir(): raise PermissionError('),
    ('csv_upper_suffix_refused', '06_cli', "if path.suffix.lower() != '.csv': raise ValueError(", "if path.suffix != '.csv': raise ValueError("),
    ('going_on_count_wrong', '06_cli', '{len(ways) - len(before)} N left', '{len(before)} N left'),
    ('classify_inner_lr_ignored', '06_cli', 'inner_lr = cfg.inner_lr if args.inner_lr is None else args.inner_lr', 'inner_lr = cfg.inner_lr'),
    ('classify_csv_records_run_steps', '06_cli', 'inner_steps=steps, inner_lr=inner_lr)  # what gave them', 'inner_steps=cfg.inner_steps, inner_lr=inner_lr)  # what gave them'),
    ('warning_hook_kept_after_error', '06_cli', '    try: yield\n    finally: warnings.showwarning = previous', '    yield\n    warnings.showwarning = previous'),
    ('maml_classes_advice_wrong_count', '06_cli', 'give {n} classes, or a HIDRA run', 'give {m} classes, or a HIDRA run'),
    ('going_on_said_when_all_held', '06_cli', 'if before and len(before) < len(ways): print(', 'if before: print('),
    ('per_class_hint_inverted', '06_cli', "if read['n_per_class'] != other_read['n_per_class'] else ''", "if read['n_per_class'] == other_read['n_per_class'] else ''"),
    ('same_n_maml_runs_refused', '06_cli', 'if len(set(maml_ways)) > 1: raise ValueError(', 'if len(maml_ways) > 1: raise ValueError('),
    ('compare_name_of_unresolved_other', '06_cli', 'other_name = other_ckpt.resolve().parent.name', 'other_name = other_ckpt.parent.name'),
    ('png_results_name_accepted', '06_cli', "Path(name).suffix.lower() in ('.csv', '.png')", "Path(name).suffix.lower() == '.csv'"),
    ('stop_counts_n_not_asked', '06_cli', "saved = {r['N'] for r in read_results(path).get(name, [])} & set(ways) if path.exists() else set()", "saved = {r['N'] for r in read_results(path).get(name, [])} if path.exists() else set()"),
    ('row_similarity_with_diagonal', '07_demos', "((sim.sum() - len(w)) / (len(w) * (len(w) - 1))).item()", "(sim.sum() / len(w) ** 2).item()"),
    ('maml_serves_every_n', '07_demos', "return isinstance(model, Hidra) or output_layer(model).out_features == n", "return True"),
    ('cached_rows_past_steps', '07_demos', "return [r for r in self.cache[key] if r['step'] <= steps]", "return self.cache[key]"),
    ('snapshot_counted_early', '07_demos', "snaps['iteration'].append(start + i)", "snaps['iteration'].append(start + i - 1)"),
    ('cache_blind_to_weights', '07_demos', "return name, weights_fingerprint(self.models[name]), n, float(lr)", "return name, n, float(lr)"),
    ('cache_blind_to_steps', '07_demos', "if (known := self.cache.get(key)) is None or known[-1]['step'] < steps:", "if (known := self.cache.get(key)) is None:"),
    ('snapshot_aliases_weights', '07_demos', 'return output_layer(model).weight.detach().cpu().clone()', 'return output_layer(model).weight.detach().cpu()'),
    ('similarity_normalises_columns', '07_demos', 'u = F.normalize(w.double(), dim=1)', 'u = F.normalize(w.double(), dim=0)'),
    ('last_snapshot_missed', '07_demos', 'if i % every == 0 or i == iters:', 'if i % every == 0:'),
    ('neuron_slider_not_reset', '07_demos', 'k_sl.value, k_sl.max = 0, output_layer(ev.models[pick.value]).out_features - 1', 'k_sl.max = output_layer(ev.models[pick.value]).out_features - 1'),
    ('has_misses_exact_steps', '07_demos', "return rows is not None and rows[-1]['step'] >= steps", "return rows is not None and rows[-1]['step'] > steps"),
    ('snapshots_counted_from_zero', '07_demos', 'start = start.pop() if start else 0', 'start = 0'),
    ('one_row_similarity_nan', '07_demos', 'if len(w) < 2: raise ValueError(f"row similarity needs', 'if len(w) < 1: raise ValueError(f"row similarity needs'),
    ('step_zero_not_marked', '07_demos', "if mark is not None: ax.axvline(mark, c='k', alpha=0.12, lw=8)", "if mark: ax.axvline(mark, c='k', alpha=0.12, lw=8)"),
    ('heads_scale_lower_own', '07_demos', 'if vmax: ax.images[0].set_clim(-vmax, vmax)', 'if vmax: ax.images[0].set_clim(vmax=vmax)'),
    ('player_frames_own_scale', '07_demos', ', vmax, f"iteration {snaps[\'iteration\'][i]}"))', ', title=f"iteration {snaps[\'iteration\'][i]}"))'),
    ('evaluator_seed_ignored', '07_demos', 'self.kw = dict(n_tasks=n_tasks, shots=shots, queries=queries, seed=seed)', 'self.kw = dict(n_tasks=n_tasks, shots=shots, queries=queries)'),
    ('snapshot_callback_before_heads', '07_demos', "            for k, r in runs.items(): snaps['heads'][k].append(head_weight(r.model))\n            if on_snapshot: on_snapshot(snaps)", "            if on_snapshot: on_snapshot(snaps)\n            for k, r in runs.items(): snaps['heads'][k].append(head_weight(r.model))"),
    ('transplant_row_at_step_0', '07_demos', 'out_features, steps, lr)[-1]', 'out_features, steps, lr)[0]'),
]

def apply(notebook:Path, old:str, new:str)->str: # '' where applied, else why not
    "Put the fault into the one `#| export` cell of `notebook` that holds `old`."
    nb = json.loads(notebook.read_text())
    cells = [c for c in nb['cells'] if c['cell_type'] == 'code' and ''.join(c['source']).lstrip().startswith('#| export')]
    hits = sum(''.join(c['source']).count(old) for c in cells)
    if hits != 1: return f"its text occurs {hits} times in the export cells of {notebook.name}, not once: bring the list up to date"
    for c in cells: c['source'] = ''.join(c['source']).replace(old, new).splitlines(keepends=True)
    notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    return ''

def run_tests(clone:Path, notebook:str)->bool:
    "Whether `notebook`'s tests pass in `clone`, with its library first."
    env = {**os.environ, 'PYTHONPATH': str(clone), 'OMP_NUM_THREADS': '1'}
    return subprocess.run([BIN / 'nbdev_test', '--path', f'nbs/{notebook}.ipynb', '--n_workers', '1'], cwd=clone, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0

def check(mutation:tuple)->str: # one line: caught where, survived, or not applied
    "Clone, apply `mutation`, export, run its chapter's tests, then the later chapters' until one fails."
    name, notebook, old, new = mutation
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        clone = Path(d) / 'repo'
        subprocess.run(['git', 'clone', '-q', str(ROOT), str(clone)], check=True)
        if why := apply(clone / 'nbs' / f'{notebook}.ipynb', old, new): return f"{name}: NOT APPLIED, {why}"
        subprocess.run([BIN / 'nbdev_export'], cwd=clone, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        later = [n.stem for n in sorted((clone / 'nbs').glob('0*.ipynb')) if n.stem[:2] in CHAPTERS and n.stem > notebook]
        for chapter in [notebook, *later]:
            if not run_tests(clone, chapter): return f"{name}: caught by {chapter} ({time.perf_counter() - start:.0f} s)"
    return f"{name}: SURVIVED every chapter's tests ({time.perf_counter() - start:.0f} s)"

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('names', nargs='*', help='only these mutations (default: all)')
    p.add_argument('--jobs', type=int, default=2, help='mutations checked at once (default 2)')
    p.add_argument('--list', action='store_true', help='list the mutations and stop')
    args = p.parse_args()
    if unknown := set(args.names) - {m[0] for m in MUTATIONS}: p.error(f"unknown mutation(s) {sorted(unknown)}: see --list")
    chosen = [m for m in MUTATIONS if not args.names or m[0] in args.names]
    if args.list: print('\n'.join(f"{m[0]} ({m[1]})" for m in chosen)); sys.exit(0)
    if subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], cwd=ROOT, capture_output=True, text=True).stdout.strip():
        print("mutation_check: the clones take the committed state; uncommitted changes are not in it", file=sys.stderr)
    def check_and_say(mutation):
        line = check(mutation); print(line, flush=True); return line
    with ThreadPoolExecutor(args.jobs) as pool: lines = list(pool.map(check_and_say, chosen))
    bad = [l for l in lines if 'SURVIVED' in l or 'NOT APPLIED' in l]
    print(f"mutation_check: {len(lines) - len(bad)} of {len(lines)} caught" + (f"; {len(bad)} not: a test or the list needs work" if bad else ''))
    sys.exit(1 if bad else 0)
