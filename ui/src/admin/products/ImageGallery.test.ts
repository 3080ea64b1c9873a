import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import App from '../../App.svelte';
import { installFakeBackOffice } from '../../test/fakeBackOffice';

async function openGallery() {
  window.location.hash = '#/admin/products/ukraine-snake-island-flag';
  render(App);
  return screen.findByRole('list', { name: 'Images' });
}

/** A small file; jsdom's File has no arrayBuffer(), so it gets the browser's. */
function png(name: string): File {
  const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  return Object.assign(new File([bytes], name, { type: 'image/png' }), {
    arrayBuffer: () => Promise.resolve(bytes.slice().buffer),
  });
}

describe('image gallery', () => {
  it('sends dropped files as raw bytes, one at a time, with progress', async () => {
    const fake = installFakeBackOffice();
    let release = () => {};
    fake.holdImports = new Promise((resolve) => (release = resolve));
    await openGallery();
    const drop = screen.getByRole('region', { name: 'Add images' });
    await fireEvent.drop(drop, { dataTransfer: { files: [png('a.png'), png('b.png')] } });
    expect(await within(drop).findByRole('status')).toHaveTextContent('Uploading 1 of 2: a.png');
    release();
    const gallery = screen.getByRole('list', { name: 'Images' });
    await waitFor(() => expect(within(gallery).getAllByRole('listitem')).toHaveLength(3));
    expect(within(drop).queryByRole('status')).not.toBeInTheDocument();
    expect(fake.uploads).toHaveLength(2);
    expect(fake.uploads[0]).toBeInstanceOf(Uint8Array);
    expect([...(fake.uploads[0] as Uint8Array)]).toEqual([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  });

  it('describes, reorders and removes images through the core', async () => {
    const fake = installFakeBackOffice();
    const user = userEvent.setup();
    await openGallery();
    await user.upload(document.querySelector<HTMLInputElement>("input[type='file']")!, png('side.png'));
    const gallery = screen.getByRole('list', { name: 'Images' });
    await waitFor(() => expect(within(gallery).getAllByRole('listitem')).toHaveLength(2));
    const alt = screen.getByLabelText('Alt text for image 2');
    await user.type(alt, 'Side view');
    await user.tab();
    await waitFor(() => expect(fake.commands('set_image_alt')).toHaveLength(1));
    expect(fake.commands('set_image_alt')[0]).toMatchObject({ alt: 'Side view' });
    await user.click(screen.getByRole('button', { name: 'Move image 2 earlier' }));
    await waitFor(() => expect(screen.getByLabelText('Alt text for image 1')).toHaveValue('Side view'));
    await user.click(screen.getByRole('button', { name: 'Remove image 1' }));
    await waitFor(() => expect(within(gallery).getAllByRole('listitem')).toHaveLength(1));
    expect(fake.commands('remove_image')).toHaveLength(1);
  });

  it('moves an image by dragging it onto another one’s place', async () => {
    const fake = installFakeBackOffice();
    const user = userEvent.setup();
    await openGallery();
    const picker = document.querySelector<HTMLInputElement>("input[type='file']")!;
    await user.upload(picker, [png('side.png'), png('back.png')]);
    const gallery = screen.getByRole('list', { name: 'Images' });
    await waitFor(() => expect(within(gallery).getAllByRole('listitem')).toHaveLength(3));
    const hashes = () =>
      within(gallery)
        .getAllByRole('listitem')
        .map((li) => li.querySelector('input')!.id.replace('alt-', ''));
    const [first, second, third] = hashes();

    const frames = within(gallery).getAllByRole('img', { name: /drag to reorder/ });
    await fireEvent.dragStart(frames[2]!, { dataTransfer: { setData: () => {} } });
    const places = within(gallery).getAllByRole('listitem');
    await fireEvent.dragOver(places[0]!);
    expect(places[0]).toHaveClass('target');
    await fireEvent.drop(places[0]!);
    await waitFor(() => expect(hashes()).toEqual([third, first, second]));
    expect(fake.commands('reorder_images').at(-1)).toMatchObject({ hashes: [third, first, second] });
    expect(places[0]).not.toHaveClass('target');

    // Files dragged in from the desktop are not a reorder: they belong to the drop zone.
    await fireEvent.drop(within(gallery).getAllByRole('listitem')[1]!, {
      dataTransfer: { files: [png('c.png')] },
    });
    expect(fake.commands('reorder_images')).toHaveLength(1);
  });
});
